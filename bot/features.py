"""The feature registry: the ONE list of features and what each brings, wired explicitly.

Nothing registers itself on import. Each feature is declared here once (its private-chat routers,
main-menu entries, /my sections, privacy exporters and erasers, the staff-chat messages erasure
edits, digest sections, broadcast audiences, notices rendered fresh at send time, scheduler jobs,
start-up hooks, and the tables it owns); ``build()`` collects them into one :class:`Registry` and
``install()`` hands the collected lists to the modules that use them (services.privacy, services.digest,
services.broadcasts, services.notifications, keyboards.menu, handlers.my). bot.factory builds and
installs the registry when it makes a dispatcher; bot.scheduler adds the features' jobs.
tests/test_features.py checks that every feature is in every registry it should be.

To add a feature: write its handlers package (create_router), services and models, then add one
``Feature(...)`` to ``features()`` below — nothing else needs to know about it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from aiogram import Router

from bot.config import Settings
from bot.delivery import jobs as job
from bot.delivery.jobs import JobAdder
from handlers import booking as booking_handlers
from handlers import broadcasts as broadcasts_handlers
from handlers import consultations as consultations_handlers
from handlers import events as events_handlers
from handlers import ideas as ideas_handlers
from handlers import menu as menu_handlers
from handlers import my as my_handlers
from handlers import privacy as privacy_handlers
from handlers import registration as registration_handlers
from handlers import report as report_handlers
from handlers import settings as settings_handlers
from handlers import showcase as showcase_handlers
from keyboards.my import MySection
from services import (
    booking,
    broadcasts,
    consultations,
    digest,
    events,
    ideas,
    preferences,
    report_offline,
)
from services import privacy as privacy_service
from services import showcase as showcase_service
from services.broadcasts import Audience
from services.digest import DigestSource
from services.notifications import Renderer
from services.privacy import Eraser, Exporter, StaffMessages

RouterFactory = Callable[[Settings], Sequence[Router]]
Startup = Callable[..., Awaitable[None]]


def _no_routers(settings: Settings) -> Sequence[Router]:
    return ()


@dataclass(frozen=True)
class Feature:
    """What one feature brings. Every field but ``name`` may stay empty."""

    name: str
    routers: RouterFactory = _no_routers
    """Private-chat routers, in order (admin-chat routers are still wired by handlers.admin)."""
    menu: Sequence[tuple[int, str, str]] = ()
    """Main-menu entries: (position, text key, MenuCb action); the menu shows them by position (at most
    seven in all, the Center's main services first)."""
    more: Sequence[tuple[int, str, str]] = ()
    """Entries of the «Ещё» screen under the main menu, the same way (profile, privacy, settings...)."""
    my_sections: Sequence[tuple[int, str, MySection]] = ()
    """/my sections: (position, text key, MyCb section)."""
    exporters: Sequence[Exporter] = ()
    erasers: Sequence[Eraser] = ()
    staff_messages: Sequence[StaffMessages] = ()
    digest_sections: Sequence[tuple[str, DigestSource]] = ()
    audiences: Callable[[], Mapping[str, Audience]] | None = None
    renderers: Mapping[str, Renderer] = field(default_factory=dict[str, Renderer])
    jobs: Sequence[JobAdder] = ()
    startup: Sequence[Startup] = ()
    tables: Sequence[str] = ()
    """Tables the feature owns: those holding personal data need an exporter and an eraser here."""


@dataclass(frozen=True)
class Registry:
    features: tuple[Feature, ...]

    def feature(self, name: str) -> Feature:
        return next(f for f in self.features if f.name == name)

    def routers(self, settings: Settings) -> list[Router]:
        return [router for f in self.features for router in f.routers(settings)]

    @property
    def menu(self) -> list[tuple[str, str]]:
        entries = sorted((pos, key, action) for f in self.features for pos, key, action in f.menu)
        return [(key, action) for _pos, key, action in entries]

    @property
    def more(self) -> list[tuple[str, str]]:
        entries = sorted((pos, key, action) for f in self.features for pos, key, action in f.more)
        return [(key, action) for _pos, key, action in entries]

    @property
    def my_sections(self) -> list[tuple[str, MySection]]:
        entries = sorted((pos, key, sec) for f in self.features for pos, key, sec in f.my_sections)
        return [(key, sec) for _pos, key, sec in entries]

    @property
    def exporters(self) -> list[Exporter]:
        return [e for f in self.features for e in f.exporters]

    @property
    def erasers(self) -> list[Eraser]:
        return [e for f in self.features for e in f.erasers]

    @property
    def staff_messages(self) -> list[StaffMessages]:
        return [e for f in self.features for e in f.staff_messages]

    @property
    def digest_sections(self) -> list[tuple[str, DigestSource]]:
        return [s for f in self.features for s in f.digest_sections]

    @property
    def audiences(self) -> dict[str, Audience]:
        out: dict[str, Audience] = {}
        for f in self.features:
            if f.audiences is not None:
                out.update(f.audiences())
        return out

    @property
    def renderers(self) -> dict[str, Renderer]:
        return {kind: r for f in self.features for kind, r in f.renderers.items()}

    @property
    def jobs(self) -> list[JobAdder]:
        return [j for f in self.features for j in f.jobs]

    @property
    def startup(self) -> list[Startup]:
        return [s for f in self.features for s in f.startup]


FEATURES: tuple[Feature, ...] = (
    Feature(
        "workspace",  # the staff workspace: forum topics, the pinned «Ждут ответа» count (no person)
        jobs=[job.staff_pin],
        tables=["staff_topics"],
    ),
    Feature(
        "events",  # before registration: /start ev_<id>, ci_<id>_<code>
        routers=lambda s: [events_handlers.create_router(s)],
        menu=[(20, "fc.menu.events", "events")],
        my_sections=[(40, "events.my_section", MySection.EVENTS)],
        exporters=[events.export_signups],
        erasers=[events.erase_comments],
        digest_sections=[("events", events.digest_events), ("my_signups", events.digest_my_signups)],
        jobs=[job.event_offers],
        tables=["events", "event_signups"],
    ),
    Feature(
        "registration",
        routers=lambda s: [registration_handlers.create_router()],
        more=[(30, "menu.profile", "profile")],
        tables=["users", "consent_log"],  # exported and anonymised by services.users / privacy
    ),
    Feature(
        "menu",
        routers=lambda s: [menu_handlers.create_router()],
        menu=[(70, "fc.menu.more", "more")],
        more=[(10, "menu.about", "about"), (60, "menu.language", "language"), (70, "menu.help", "help")],
    ),
    Feature(
        "privacy",
        routers=lambda s: [privacy_handlers.create_router()],
        more=[(40, "menu.privacy", "privacy")],
        jobs=[job.retention],
        tables=["audit_log", "fsm_state"],  # exported and erased by services.privacy itself
    ),
    Feature("my", routers=lambda s: [my_handlers.create_router()], menu=[(60, "fc.menu.my", "my")]),
    Feature(
        "booking",
        routers=lambda s: [booking_handlers.create_router()],
        menu=[(30, "fc.menu.book", "book")],
        my_sections=[(10, "booking.my_section", MySection.BOOKINGS)],
        exporters=[booking.export_bookings],
        erasers=[booking.erase_bookings],
        digest_sections=[("bookings", booking.digest_bookings)],
        startup=[booking_handlers.seed_resources],
        tables=["bookings", "booking_resources", "booking_slots"],
    ),
    Feature(
        "broadcasts",
        routers=lambda s: [broadcasts_handlers.create_router()],
        exporters=[broadcasts.export_deliveries],
        erasers=[broadcasts.erase_deliveries],
        audiences=broadcasts.feature_audiences,
        tables=["broadcasts", "broadcast_deliveries"],
    ),
    Feature(
        "showcase",
        routers=lambda s: [showcase_handlers.create_router()],
        menu=[(40, "fc.menu.services", "services")],
        my_sections=[
            (50, "showcase.my_requests", MySection.SHOWCASE_REQUESTS),
            (60, "showcase.my_services", MySection.SHOWCASE_SERVICES),
        ],
        exporters=[showcase_service.export_person],
        erasers=[showcase_service.erase_person],
        digest_sections=[("showcase", showcase_service.digest_new_cards)],
        jobs=[job.showcase_unanswered],
        tables=[
            "showcase_categories",
            "showcase_cards",
            "showcase_trial_applications",
            "showcase_expo_cards",
            "showcase_requests",
            "showcase_messages",
        ],
    ),
    Feature(
        "report_offline",
        routers=lambda s: [report_handlers.create_router()],
        exporters=[report_offline.export_person],
        jobs=[job.monthly_report],
        tables=["report_offline_recipients"],
    ),
    Feature(
        "ideas",
        routers=lambda s: [ideas_handlers.create_router()],
        menu=[(50, "fc.menu.ideas", "ideas")],
        more=[(20, "ideas.menu_new", "idea_new")],
        my_sections=[(20, "ideas.my_section", MySection.IDEAS)],
        exporters=[ideas.export],
        erasers=[ideas.erase],
        staff_messages=[ideas.staff_messages],
        digest_sections=[("ideas", ideas.digest_items)],
        tables=["ideas", "idea_reviews", "idea_supports", "idea_updates"],
    ),
    Feature(
        "settings",
        routers=lambda s: [settings_handlers.create_router()],
        more=[(50, "settings.menu", "settings")],
        exporters=[preferences.export_notifications],
        erasers=[preferences.erase_notifications],
        tables=["notifications"],
    ),
    Feature(
        "consultations",
        routers=lambda s: [consultations_handlers.create_router()],
        menu=[(10, "fc.menu.consult", "consult")],
        my_sections=[(30, "consult.my_section", MySection.CONSULT)],
        exporters=[consultations.export_person],
        erasers=[consultations.erase_person],
        staff_messages=[consultations.staff_messages],
        jobs=[job.consultations_overdue],
        tables=["consultations", "consultation_topics", "consultation_links", "consultation_messages"],
    ),
    Feature(
        "digest",  # the weekly digest: sections come from the features above
        renderers={digest.KIND: digest.render_fresh},
        jobs=[job.weekly_digest, job.digest_catch_up],
        tables=["digest_news"],
    ),
    Feature(
        "scheduler",  # the jobs' leases: each scheduled job runs in one instance per moment (bot/leases.py)
        tables=["job_leases"],
    ),
)
"""Every feature, in the order their routers are tried (first match wins). The integrator fixes the
handler imports above when handler packages are renamed: this list is the one place that names them."""


def features() -> list[Feature]:
    return list(FEATURES)


# The export's sections keep the order they had before the registry (the /privacy file reads the same).
EXPORT_ORDER = (
    "report_offline",
    "booking",
    "broadcasts",
    "consultations",
    "events",
    "ideas",
    "showcase",
    "settings",
)


def build(feature_list: Sequence[Feature] | None = None) -> Registry:
    """The registry of ``feature_list`` (default: every feature). Names must be unique."""
    found = tuple(features() if feature_list is None else feature_list)
    names = [f.name for f in found]
    if len(set(names)) != len(names):
        raise ValueError(f"feature names repeat: {names}")
    return Registry(found)


def install(registry: Registry) -> None:
    """Hand the registry's lists to the modules that read them (replacing, never appending: installing
    twice is harmless, and what is installed never depends on what was imported before)."""
    from handlers import my as my_handlers
    from keyboards import menu as menu_keyboards
    from services import broadcasts, digest, notifications

    rank = {name: i for i, name in enumerate(EXPORT_ORDER)}
    ordered = sorted(registry.features, key=lambda f: rank.get(f.name, len(rank)))
    privacy_service.EXPORTERS[:] = [e for f in ordered for e in f.exporters]
    privacy_service.ERASERS[:] = [e for f in ordered for e in f.erasers]
    privacy_service.STAFF_MESSAGES[:] = [e for f in ordered for e in f.staff_messages]
    digest.SOURCES[:] = registry.digest_sections
    broadcasts.AUDIENCES.clear()
    broadcasts.AUDIENCES.update(registry.audiences)
    notifications.RENDERERS.clear()
    notifications.RENDERERS.update(registry.renderers)
    menu_keyboards.MENU_ITEMS[:] = registry.menu
    menu_keyboards.MORE_ITEMS[:] = registry.more
    my_handlers.MY_SECTIONS[:] = registry.my_sections
