"""The feature registry (bot.features): every feature is in every registry it should be, and nothing
registers itself on import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bot import features
from bot.scheduler import build_scheduler
from db.models import Base
from keyboards import menu as menu_keyboards
from services import broadcasts, digest, notifications, privacy

ROOT = Path(__file__).resolve().parent.parent

CORE_PERSONAL = {
    "users": "services.users.export / anonymise (privacy.erase)",
    "consent_log": "services.users.export; kept as the proof of consent",
    "audit_log": "privacy.export_audit; privacy.erase sweeps the person's name out of details",
    "fsm_state": "privacy.erase deletes the person's conversation state",
}
NO_ERASER = {
    "report_offline_recipients": "counts per card and month, no text: the provider's own row is anonymised",
}


def _tables_with_people() -> set[str]:
    """Tables with a column pointing at users.id: they hold something about a person."""
    out = set()
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if any(fk.target_fullname == "users.id" for fk in column.foreign_keys):
                out.add(table.name)
    return out


def test_every_table_belongs_to_exactly_one_feature() -> None:
    registry = features.build()
    owners: dict[str, list[str]] = {}
    for feature in registry.features:
        for table in feature.tables:
            owners.setdefault(table, []).append(feature.name)
    assert set(owners) == set(Base.metadata.tables), "a table without a feature, or a feature's unknown table"
    assert {t: o for t, o in owners.items() if len(o) > 1} == {}


def test_every_table_with_personal_data_has_an_exporter_and_an_eraser() -> None:
    registry = features.build()
    owner = {table: f for f in registry.features for table in f.tables}
    personal = _tables_with_people() | set(CORE_PERSONAL)
    missing = []
    for table in sorted(personal):
        if table in CORE_PERSONAL:
            continue
        feature = owner[table]
        if not feature.exporters:
            missing.append(f"{table}: {feature.name} has no exporter")
        if not feature.erasers and table not in NO_ERASER:
            missing.append(f"{table}: {feature.name} has no eraser")
    assert missing == []
    assert "notifications" in personal and "bookings" in personal  # the check sees the real tables


def test_installed_registries_are_the_features() -> None:
    registry = features.build()
    features.install(registry)
    assert set(privacy.EXPORTERS) == {e for f in registry.features for e in f.exporters}
    assert len(privacy.EXPORTERS) == len(set(privacy.EXPORTERS)) == 8
    assert set(privacy.ERASERS) == {e for f in registry.features for e in f.erasers}
    assert len(privacy.STAFF_MESSAGES) == 2
    assert [name for name, _s in digest.SOURCES] == ["events", "my_signups", "bookings", "showcase", "ideas"]
    assert set(broadcasts.AUDIENCES) == {"ev_signed", "ev_attended", "ev_waiting", "consult", "ideas"}
    assert set(notifications.RENDERERS) == {digest.KIND}
    actions = [action for _key, action in menu_keyboards.MENU_ITEMS]
    assert actions[0] == "consult" and actions[-1] == "more" and len(actions) == len(set(actions)) == 7
    more = [action for _key, action in menu_keyboards.MORE_ITEMS]
    assert more[0] == "about" and {"profile", "privacy", "language", "settings", "help"} <= set(more)
    features.install(registry)  # installing again changes nothing
    assert len(privacy.EXPORTERS) == 8 and len(menu_keyboards.MENU_ITEMS) == 7
    assert len(menu_keyboards.MORE_ITEMS) == len(more)


def test_each_registry_lists_the_features_it_should() -> None:
    registry = features.build()
    by_name = {f.name: f for f in registry.features}
    with_people = {"booking", "broadcasts", "consultations", "events", "ideas", "showcase", "settings"}
    assert {n for n, f in by_name.items() if f.exporters and f.erasers} == with_people
    assert {n for n, f in by_name.items() if f.digest_sections} == {"booking", "events", "ideas", "showcase"}
    assert {n for n, f in by_name.items() if f.my_sections} == {
        "booking",
        "consultations",
        "events",
        "ideas",
        "showcase",
    }
    # a feature shown in the menu or /my has a router to answer it
    for feature in registry.features:
        if feature.menu or feature.more or feature.my_sections:
            assert feature.routers is not features._no_routers, feature.name


def test_every_locale_has_the_digest_section_titles(dp: Any) -> None:
    i18n = dp["i18n"]
    for locale in ("ru", "en"):
        for name, _source in features.build().digest_sections:
            key = f"digest.section.{name}"
            assert i18n.gettext(key, locale=locale) != key, (locale, key)


def test_every_feature_job_is_scheduled(settings: Any, bot: Any, db: Any, dp: Any) -> None:
    scheduler = build_scheduler(settings, bot=bot, db=db, dispatcher=dp)
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {
        "outbox.tick",
        "digest.weekly",
        "digest.catch_up",
        "consultations.overdue",
        "events.offers",
        "showcase.unanswered",
        "privacy.retention",
        "report.monthly",
        "workspace.pin",
    }


def test_a_feature_left_out_is_nowhere(settings: Any) -> None:
    """The registry is what is wired: without a feature its eraser, menu entry and routers are gone."""
    registry = features.build([f for f in features.FEATURES if f.name != "ideas"])
    try:
        features.install(registry)
        assert all(e.__module__ != "services.ideas" for e in privacy.ERASERS)
        assert all(action not in {"idea_new", "ideas"} for _k, action in menu_keyboards.MENU_ITEMS)
        assert all(action != "idea_new" for _k, action in menu_keyboards.MORE_ITEMS)
        assert "ideas" not in {name for name, _s in digest.SOURCES}
        names = {r.name for r in registry.routers(settings)}
        assert "ideas" not in names and "booking" in names
    finally:
        features.install(features.build())


def test_nothing_registers_itself_on_import() -> None:
    """Import every module of the application without building the registry: every list is empty."""
    script = """
import importlib, pkgutil, sys
for package in ("db", "services", "keyboards", "handlers", "bot"):
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if ".migrations" in info.name or info.name == "bot.__main__":
            continue
        importlib.import_module(info.name)
from services import broadcasts, digest, notifications, privacy
print(len(privacy.EXPORTERS), len(privacy.ERASERS), len(privacy.STAFF_MESSAGES), len(digest.SOURCES),
      len(broadcasts.AUDIENCES), len(notifications.RENDERERS))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["0"] * 6, out.stdout + out.stderr
