"""The services showcase (ЭКСПО услуг): cards, moderation, requests, the relayed conversation,
ratings, the trial office, and the staff's view (unanswered requests, figures).

Every use case is one short write transaction; checks that guard a change are done inside it
(on SQLite ``write`` serialises writers, on PostgreSQL the card or request row is locked or the
change is a single guarded UPDATE).

For other features:
    cards_for_event(session, event_id)   published cards taking part in an EXPO event; an event's card
                                         can also carry a button with callback data ``shx:<event id>``
                                         (keyboards.showcase.ExpoCb), which lists them to residents;
    figures(session, since=None)         cards, providers, requests, done, residents served, ratings;
    raise_unanswered(notifier, db, i18n, settings, now=None)   the scheduler job (bot/delivery/jobs.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import write
from db.messenger import TELEGRAM
from db.models import User
from db.models.showcase import (
    CardStatus,
    ExpoCard,
    RequestStatus,
    ServiceCard,
    ServiceMessage,
    ServiceRequest,
    ShowcaseCategory,
    TrialApplication,
    TrialStatus,
)
from db.repositories import users as users_repo
from services import audit, digest
from services.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from services.numbers import number
from services.ports import DeliveryError, Notifier, Translator
from services.rows import count_rows, in_language, listed, locked, seed_once
from services.users import DISTRICTS

log = logging.getLogger(__name__)

PROVIDER_GROUPS = frozenset({"nko_staff", "entrepreneur"})
FORMATS = ("home", "premises", "visiting", "online")
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("social_service", "Социальное обслуживание", "Social services"),
    ("elderly", "Помощь пожилым", "Help for older people"),
    ("families", "Семьи и дети", "Families and children"),
    ("education", "Образование и досуг", "Education and leisure"),
    ("culture", "Культура", "Culture"),
    ("sport", "Спорт", "Sport"),
    ("inclusion", "Инклюзия", "Inclusion"),
    ("ecology", "Экология", "Ecology"),
    ("social_goods", "Товары социальных предпринимателей", "Goods of social entrepreneurs"),
    ("other", "Другое", "Other"),
)
ORGANISATION_MAX = 200
TITLE_MAX = 120
DESCRIPTION_MAX = 700
PRICE_MAX = 100
NOTE_MAX = 500
COMMENT_MAX = 500
PURPOSE_MAX = 800
CATEGORY_MAX = 60
MESSAGE_LOG_MAX = 4096
TRIAL_MAX_DAYS = 92
TRIAL_AHEAD_DAYS = 366
PAGE_SIZE = 5
TRIAL_OFFICE_CODE = "trial_office"
OPEN_REQUEST = (RequestStatus.NEW, RequestStatus.ACCEPTED)

_SPACES = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"[^\W_]+")


# --- text helpers ---------------------------------------------------------------------------------


def normalise(text: str | None) -> str:
    """Lower-case in Python (SQLite's lower() folds ASCII only), ё as е, single spaces."""
    return _SPACES.sub(" ", (text or "").casefold().replace("ё", "е")).strip()


def search_words(query: str | None) -> list[str]:
    words = [w for w in _WORD.findall(normalise(query)) if len(w) >= 2]
    return list(dict.fromkeys(words))[:5]


def _clean_text(
    text: str | None, *, min_len: int, max_len: int, key: str, multiline: bool = False, letters: bool = True
) -> str:
    raw = (text or "").strip()
    if multiline:
        value = "\n".join(_SPACES.sub(" ", line).strip() for line in raw.splitlines()).strip()
        value = re.sub(r"\n{3,}", "\n\n", value)
    else:
        value = _SPACES.sub(" ", raw)
    if (
        not (min_len <= len(value) <= max_len)
        or (letters and not _LETTER.search(value))
        or _CONTROL.search(value)
    ):
        raise ValidationFailed(key, min=min_len, n=max_len)
    return value


def clean_organisation(text: str | None) -> str:
    return _clean_text(text, min_len=2, max_len=ORGANISATION_MAX, key="showcase.bad_organisation")


def clean_title(text: str | None) -> str:
    return _clean_text(text, min_len=3, max_len=TITLE_MAX, key="showcase.bad_title")


def clean_description(text: str | None) -> str:
    return _clean_text(
        text, min_len=10, max_len=DESCRIPTION_MAX, key="showcase.bad_description", multiline=True
    )


def clean_price(text: str | None) -> str:
    return _clean_text(text, min_len=1, max_len=PRICE_MAX, key="showcase.bad_price", letters=False)


def clean_note(text: str | None) -> str:
    return _clean_text(text, min_len=2, max_len=NOTE_MAX, key="showcase.bad_note", multiline=True)


def clean_comment(text: str | None) -> str:
    return _clean_text(text, min_len=2, max_len=COMMENT_MAX, key="showcase.bad_comment", multiline=True)


def clean_purpose(text: str | None) -> str:
    return _clean_text(text, min_len=10, max_len=PURPOSE_MAX, key="showcase.bad_purpose", multiline=True)


def clean_category_title(text: str | None) -> str:
    return _clean_text(text, min_len=2, max_len=CATEGORY_MAX, key="showcase.bad_category")


def clean_districts(values: Sequence[str]) -> list[str]:
    chosen = [d for d in DISTRICTS if d in set(values)]
    if not chosen or len(chosen) != len(set(values)):
        raise ValidationFailed("showcase.bad_districts")
    return chosen


def clean_format(value: str | None) -> str:
    if value not in FORMATS:
        raise ValidationFailed("showcase.pick_button")
    return value


def parse_date(text: str | None, today: date) -> date:
    """dd.mm.yyyy, dd.mm.yy or dd.mm (this year, or next if already past)."""
    raw = (text or "").strip().replace("/", ".").replace("-", ".").replace(",", ".")
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?", raw)
    if match is None:
        raise ValidationFailed("showcase.bad_date")
    day, month, year_text = int(match[1]), int(match[2]), match[3]
    year = today.year if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        value = date(year, month, day)
    except ValueError as exc:
        raise ValidationFailed("showcase.bad_date") from exc
    if year_text is None and value < today:
        try:
            value = date(year + 1, month, day)
        except ValueError as exc:
            raise ValidationFailed("showcase.bad_date") from exc
    return value


def check_trial_dates(date_from: date, date_to: date, today: date) -> None:
    if date_from < today:
        raise ValidationFailed("showcase.trial_past")
    if date_from > today + timedelta(days=TRIAL_AHEAD_DAYS):
        raise ValidationFailed("showcase.trial_too_far", n=TRIAL_AHEAD_DAYS)
    if date_to < date_from:
        raise ValidationFailed("showcase.trial_order")
    if (date_to - date_from).days + 1 > TRIAL_MAX_DAYS:
        raise ValidationFailed("showcase.trial_too_long", n=TRIAL_MAX_DAYS)


def is_provider(user: User | None) -> bool:
    return (
        user is not None
        and user.is_registered
        and user.target_group in PROVIDER_GROUPS
        and bool(user.organisation)
    )


def _district_index(districts: Sequence[str]) -> str:
    return "," + ",".join(districts) + ","


def _search_text(card: ServiceCard) -> str:
    return normalise(f"{card.organisation} {card.title} {card.description}")


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _registered(session: AsyncSession, tg_id: int) -> User:
    user = await users_repo.registered_by_tg_id(session, tg_id)
    if user is None:
        raise NotFound("reg.not_registered")
    return user


async def _provider(session: AsyncSession, tg_id: int) -> User:
    user = await _registered(session, tg_id)
    if not is_provider(user):
        raise NotAllowed("showcase.not_provider")
    return user


async def _locked_card(session: AsyncSession, card_id: int) -> ServiceCard:
    return await locked(session, ServiceCard, card_id, "showcase.card_gone")


async def _locked_request(session: AsyncSession, request_id: int) -> ServiceRequest:
    return await locked(session, ServiceRequest, request_id, "showcase.request_gone")


# --- categories -----------------------------------------------------------------------------------


async def ensure_categories(session: AsyncSession) -> None:
    """Seed the Center's list into an empty table: the first list (or added category) on a new database."""
    await seed_once(session, ShowcaseCategory, ("code", "title_ru", "title_en"), DEFAULT_CATEGORIES)


async def categories(session: AsyncSession, *, active_only: bool = True) -> list[ShowcaseCategory]:
    await ensure_categories(session)
    return await listed(session, ShowcaseCategory, active_only=active_only)


async def category(session: AsyncSession, category_id: int) -> ShowcaseCategory | None:
    return await session.get(ShowcaseCategory, category_id)


def category_title(cat: ShowcaseCategory | None, language: str | None) -> str:
    return "—" if cat is None else in_language(cat.title_ru, cat.title_en, language)


async def add_category(session: AsyncSession, staff_tg_id: int, title: str) -> ShowcaseCategory:
    title = clean_category_title(title)
    await ensure_categories(session)  # the Center's list first, so staff's own category does not stand alone
    async with write(session):
        position = (await session.scalar(select(func.max(ShowcaseCategory.position)))) or 0
        cat = ShowcaseCategory(code="c", title_ru=title, title_en=None, position=position + 1)
        session.add(cat)
        await session.flush()
        cat.code = f"c{cat.id}"
        audit.record(session, staff_tg_id, "showcase.category_add", "showcase_category", cat.id, title=title)
    return cat


async def rename_category(session: AsyncSession, staff_tg_id: int, category_id: int, title: str) -> None:
    title = clean_category_title(title)
    async with write(session):
        cat = await session.get(ShowcaseCategory, category_id)
        if cat is None:
            raise NotFound()
        old = cat.title_ru
        cat.title_ru = title
        cat.title_en = None  # the old English name no longer fits; English readers see the new one
        audit.record(
            session, staff_tg_id, "showcase.category_rename", "showcase_category", cat.id, old=old, new=title
        )


async def toggle_category(session: AsyncSession, staff_tg_id: int, category_id: int) -> ShowcaseCategory:
    async with write(session):
        cat = await session.get(ShowcaseCategory, category_id)
        if cat is None:
            raise NotFound()
        if cat.active and cat.code == "other":
            raise Conflict("showcase.category_keep_other")
        cat.active = not cat.active
        audit.record(
            session, staff_tg_id, "showcase.category_toggle", "showcase_category", cat.id, active=cat.active
        )
    return cat


# --- cards ----------------------------------------------------------------------------------------

CARD_FIELDS = ("organisation", "title", "category_id", "description", "districts", "price", "format", "photo")


async def _validated_card(session: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "organisation":
            out[name] = clean_organisation(value)
        elif name == "title":
            out[name] = clean_title(value)
        elif name == "description":
            out[name] = clean_description(value)
        elif name == "category_id":
            cat = await session.get(ShowcaseCategory, int(value or 0))
            if cat is None or not cat.active:
                raise ValidationFailed("showcase.bad_category_choice")
            out[name] = cat.id
        elif name == "districts":
            out[name] = clean_districts(list(value or []))
        elif name == "price":
            out[name] = clean_price(value) if value else None
        elif name == "format":
            out[name] = clean_format(value)
        elif name == "photo":
            out["photo_file_id"] = (str(value)[:255] or None) if value else None
        else:
            raise ValueError(f"unknown card field {name}")
    return out


async def _check_pending_limit(session: AsyncSession, provider_id: int, limit: int) -> None:
    """A provider has at most ``limit`` cards waiting for moderation (SHOWCASE_PENDING_LIMIT)."""
    await session.execute(select(User.id).where(User.id == provider_id).with_for_update())  # one at a time
    waiting = await count_rows(
        session, ServiceCard, ServiceCard.provider_id == provider_id, ServiceCard.status == CardStatus.PENDING
    )
    if waiting >= limit:
        raise Conflict("showcase.err_pending_limit", max=limit)


async def create_card(
    session: AsyncSession, tg_id: int, values: dict[str, Any], pending_limit: int = 5
) -> ServiceCard:
    """A new card from the provider's dialog; it goes to moderation."""
    missing = {"organisation", "title", "category_id", "description", "districts", "format"} - set(values)
    if missing:
        raise ValidationFailed("showcase.incomplete")
    provider = await _provider(session, tg_id)
    fields = await _validated_card(session, values)
    async with write(session):
        await _check_pending_limit(session, provider.id, pending_limit)
        card = ServiceCard(provider_id=provider.id, status=CardStatus.PENDING, **fields)
        card.search_text = _search_text(card)
        card.district_index = _district_index(card.districts)
        session.add(card)
        await session.flush()
    return card


async def update_card(
    session: AsyncSession, tg_id: int, card_id: int, changes: dict[str, Any]
) -> ServiceCard:
    """The provider changed their card: it goes back to moderation (staff see the new text)."""
    provider = await _provider(session, tg_id)
    fields = await _validated_card(session, changes)
    async with write(session):
        card = await _locked_card(session, card_id)
        if card.provider_id != provider.id:
            raise NotAllowed("showcase.not_your_card")
        if card.status in (CardStatus.REMOVED, CardStatus.DECLINED):
            raise Conflict("showcase.card_closed")
        for name, value in fields.items():
            setattr(card, name, value)
        card.search_text = _search_text(card)
        card.district_index = _district_index(card.districts)
        card.status = CardStatus.PENDING
        card.staff_comment = None
    return card


async def resubmit(session: AsyncSession, tg_id: int, card_id: int, pending_limit: int = 5) -> ServiceCard:
    """A returned card sent to moderation again as it is (the provider answered staff elsewhere)."""
    provider = await _provider(session, tg_id)
    async with write(session):
        await _check_pending_limit(session, provider.id, pending_limit)
        card_row = await _locked_card(session, card_id)
        if card_row.provider_id != provider.id:
            raise NotAllowed("showcase.not_your_card")
        if card_row.status != CardStatus.RETURNED:
            raise Conflict("showcase.card_state_changed")
        card_row.status = CardStatus.PENDING
    return card_row


async def set_paused(session: AsyncSession, tg_id: int, card_id: int, paused: bool) -> ServiceCard:
    provider = await _provider(session, tg_id)
    async with write(session):
        card = await _locked_card(session, card_id)
        if card.provider_id != provider.id:
            raise NotAllowed("showcase.not_your_card")
        expected = CardStatus.PUBLISHED if paused else CardStatus.PAUSED
        if card.status != expected:
            raise Conflict("showcase.card_state_changed")
        card.status = CardStatus.PAUSED if paused else CardStatus.PUBLISHED
    return card


@dataclass
class Closed:
    """A request closed because its card went away, and the resident to tell."""

    request: ServiceRequest
    resident: User


async def remove_card(session: AsyncSession, tg_id: int, card_id: int) -> tuple[ServiceCard, list[Closed]]:
    """The provider removes a card: it disappears, open requests are cancelled (residents are told)."""
    provider = await _provider(session, tg_id)
    async with write(session):
        card = await _locked_card(session, card_id)
        if card.provider_id != provider.id:
            raise NotAllowed("showcase.not_your_card")
        if card.status == CardStatus.REMOVED:
            raise Conflict("showcase.card_closed")
        card.status = CardStatus.REMOVED
        closed = await _close_open_requests(session, card.id)
    return card, closed


async def _close_open_requests(session: AsyncSession, card_id: int) -> list[Closed]:
    rows = await session.execute(
        select(ServiceRequest, User)
        .join(User, User.id == ServiceRequest.resident_id)
        .where(ServiceRequest.card_id == card_id, ServiceRequest.status.in_(OPEN_REQUEST))
    )
    closed = []
    now = utcnow()
    for request, resident in rows:
        request.status = RequestStatus.CANCELLED
        request.closed_at = now
        closed.append(Closed(request, resident))
    return closed


async def card(session: AsyncSession, card_id: int) -> ServiceCard | None:
    return await session.get(ServiceCard, card_id)


async def provider_cards(session: AsyncSession, user_id: int) -> list[ServiceCard]:
    rows = await session.scalars(
        select(ServiceCard)
        .where(ServiceCard.provider_id == user_id, ServiceCard.status != CardStatus.REMOVED)
        .order_by(ServiceCard.created_at.desc(), ServiceCard.id.desc())
    )
    return list(rows)


async def own_card(session: AsyncSession, tg_id: int, card_id: int) -> ServiceCard:
    provider = await _provider(session, tg_id)
    card_row = await session.get(ServiceCard, card_id)
    if card_row is None or card_row.status == CardStatus.REMOVED:
        raise NotFound("showcase.card_gone")
    if card_row.provider_id != provider.id:
        raise NotAllowed("showcase.not_your_card")
    return card_row


async def ratings(session: AsyncSession, card_ids: Sequence[int]) -> dict[int, tuple[float, int]]:
    if not card_ids:
        return {}
    rows = await session.execute(
        select(ServiceRequest.card_id, func.avg(ServiceRequest.rating), func.count(ServiceRequest.rating))
        .where(ServiceRequest.card_id.in_(list(card_ids)), ServiceRequest.rating.is_not(None))
        .group_by(ServiceRequest.card_id)
    )
    return {card_id: (float(avg), int(count)) for card_id, avg, count in rows if count}


@dataclass
class Page:
    cards: list[ServiceCard]
    total: int
    page: int
    pages: int
    ratings: dict[int, tuple[float, int]] = field(default_factory=dict)


async def find_cards(
    session: AsyncSession,
    *,
    district: str | None = None,
    category_id: int | None = None,
    query: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Page:
    """Published cards, newest first, filtered by a served district, a category and search words."""
    conditions: list[Any] = [ServiceCard.status == CardStatus.PUBLISHED]
    if district:
        conditions.append(ServiceCard.district_index.like(f"%,{_like_escape(district)},%", escape="\\"))
    if category_id:
        conditions.append(ServiceCard.category_id == category_id)
    for word in search_words(query):
        conditions.append(ServiceCard.search_text.like(f"%{_like_escape(word)}%", escape="\\"))
    total = await count_rows(session, ServiceCard, *conditions)
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    rows = await session.scalars(
        select(ServiceCard)
        .where(*conditions)
        .order_by(ServiceCard.published_at.desc(), ServiceCard.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    )
    cards = list(rows)
    return Page(cards, total, page, pages, await ratings(session, [c.id for c in cards]))


async def category_counts(session: AsyncSession, district: str | None) -> dict[int, int]:
    conditions: list[Any] = [ServiceCard.status == CardStatus.PUBLISHED]
    if district:
        conditions.append(ServiceCard.district_index.like(f"%,{_like_escape(district)},%", escape="\\"))
    rows = await session.execute(
        select(ServiceCard.category_id, func.count()).where(*conditions).group_by(ServiceCard.category_id)
    )
    return {cat_id: count for cat_id, count in rows}


# --- moderation -----------------------------------------------------------------------------------

MODERATION_ACTIONS = {
    "publish": CardStatus.PUBLISHED,
    "return": CardStatus.RETURNED,
    "decline": CardStatus.DECLINED,
}


async def moderate(
    session: AsyncSession, staff_tg_id: int, card_id: int, action: str, comment: str | None = None
) -> tuple[ServiceCard, User]:
    """Staff publish a pending card, return it with a comment or decline it with a reason."""
    if action not in MODERATION_ACTIONS:
        raise ValidationFailed()
    if action != "publish":
        comment = clean_comment(comment)
    async with write(session):
        card_row = await _locked_card(session, card_id)
        if card_row.status != CardStatus.PENDING:
            raise Conflict("showcase.already_moderated")
        now = utcnow()
        card_row.status = MODERATION_ACTIONS[action]
        card_row.staff_comment = comment if action != "publish" else None
        card_row.moderated_by = staff_tg_id
        card_row.moderated_at = now
        if action == "publish":
            card_row.published_at = now
        audit.record(
            session,
            staff_tg_id,
            f"showcase.card_{action}",
            "showcase_card",
            card_row.id,
            **({"comment": comment} if comment else {}),
        )
        provider = await session.get(User, card_row.provider_id)
        assert provider is not None
    return card_row, provider


async def pending_cards(session: AsyncSession) -> list[ServiceCard]:
    rows = await session.scalars(
        select(ServiceCard).where(ServiceCard.status == CardStatus.PENDING).order_by(ServiceCard.updated_at)
    )
    return list(rows)


@dataclass
class ProviderRow:
    user: User
    counts: dict[str, int]


async def providers(session: AsyncSession) -> list[ProviderRow]:
    rows = await session.execute(
        select(User, ServiceCard.status, func.count())
        .join(ServiceCard, ServiceCard.provider_id == User.id)
        .group_by(User.id, ServiceCard.status)
        .order_by(User.organisation, User.id)
    )
    result: dict[int, ProviderRow] = {}
    for user, status, count in rows:
        result.setdefault(user.id, ProviderRow(user, {})).counts[status] = count
    return list(result.values())


async def cards_of(session: AsyncSession, user_id: int) -> list[ServiceCard]:
    rows = await session.scalars(
        select(ServiceCard).where(ServiceCard.provider_id == user_id).order_by(ServiceCard.id.desc())
    )
    return list(rows)


# --- requests -------------------------------------------------------------------------------------


async def create_request(
    session: AsyncSession,
    tg_id: int,
    card_id: int,
    note: str | None,
    share_phone: bool,
    note_voice: str | None = None,
) -> tuple[ServiceRequest, ServiceCard, User, User]:
    """A resident asks for a published service; their phone goes only if they agreed (recorded). The
    note may be a voice message (its file_id), sent to the provider as voice."""
    note = clean_note(note) if note else None
    note_voice = (note_voice or "")[:256] or None
    resident = await _registered(session, tg_id)
    async with write(session):
        # PostgreSQL: the person's row serialises their own double taps; the card is only share-locked,
        # so many residents request one card in parallel while a removal or moderation waits for them.
        await session.execute(select(User.id).where(User.id == resident.id).with_for_update())
        card_row = await session.scalar(
            select(ServiceCard)
            .where(ServiceCard.id == card_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        if card_row is None:
            raise NotFound("showcase.card_gone")
        if card_row.status != CardStatus.PUBLISHED:
            raise Conflict("showcase.card_unavailable")
        if card_row.provider_id == resident.id:
            raise NotAllowed("showcase.own_card")
        open_one = await session.scalar(
            select(ServiceRequest.id).where(
                ServiceRequest.card_id == card_id,
                ServiceRequest.resident_id == resident.id,
                ServiceRequest.status.in_(OPEN_REQUEST),
            )
        )
        if open_one is not None:
            raise Conflict("showcase.already_requested")
        shared = bool(share_phone and resident.phone)
        request = ServiceRequest(
            card_id=card_row.id,
            resident_id=resident.id,
            note=note,
            note_voice=note_voice,
            phone_shared=shared,
            phone_consent_at=utcnow() if shared else None,
            status=RequestStatus.NEW,
        )
        session.add(request)
        await session.flush()
        provider = await session.get(User, card_row.provider_id)
        assert provider is not None
    return request, card_row, resident, provider


@dataclass
class RequestView:
    request: ServiceRequest
    card: ServiceCard
    resident: User
    provider: User

    @property
    def phone(self) -> str | None:
        """The resident's phone as the provider may see it: only with the resident's consent."""
        return self.resident.phone if self.request.phone_shared else None


async def _request_views(
    session: AsyncSession, which: ColumnElement[bool], limit: int | None = None
) -> list[RequestView]:
    """The requests ``which`` selects, newest first, each with its card and both people."""
    rows = await session.execute(
        select(ServiceRequest, ServiceCard)
        .join(ServiceCard, ServiceCard.id == ServiceRequest.card_id)
        .where(which)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
        .limit(limit)
    )
    views = []
    for request, card_row in rows:
        resident = await session.get(User, request.resident_id)
        provider = await session.get(User, card_row.provider_id)
        assert resident is not None and provider is not None
        views.append(RequestView(request, card_row, resident, provider))
    return views


async def request_view(session: AsyncSession, request_id: int) -> RequestView | None:
    views = await _request_views(session, ServiceRequest.id == request_id)
    return views[0] if views else None


async def _view_for(session: AsyncSession, tg_id: int, request_id: int, role: str) -> RequestView:
    user = await _registered(session, tg_id)
    view = await request_view(session, request_id)
    if view is None:
        raise NotFound("showcase.request_gone")
    owner = view.provider if role == "provider" else view.resident
    if owner.id != user.id:
        raise NotAllowed("showcase.not_your_request")
    return view


async def view_as_provider(session: AsyncSession, tg_id: int, request_id: int) -> RequestView:
    return await _view_for(session, tg_id, request_id, "provider")


async def view_as_resident(session: AsyncSession, tg_id: int, request_id: int) -> RequestView:
    return await _view_for(session, tg_id, request_id, "resident")


async def _change_request(
    session: AsyncSession,
    tg_id: int,
    request_id: int,
    role: str,
    allowed_from: tuple[str, ...],
    to: str,
) -> RequestView:
    user = await _registered(session, tg_id)
    async with write(session):
        request = await _locked_request(session, request_id)
        card_row = await session.get(ServiceCard, request.card_id)
        assert card_row is not None
        owner_id = card_row.provider_id if role == "provider" else request.resident_id
        if owner_id != user.id:
            raise NotAllowed("showcase.not_your_request")
        if request.status not in allowed_from:
            raise Conflict("showcase.request_state_changed")
        now = utcnow()
        request.status = to
        if to in (RequestStatus.ACCEPTED, RequestStatus.DECLINED):
            request.answered_at = now
        if to == RequestStatus.DONE:
            request.done_at = now
        if to in (RequestStatus.DECLINED, RequestStatus.DONE, RequestStatus.CANCELLED):
            request.closed_at = now
    view = await request_view(session, request_id)
    assert view is not None
    return view


async def accept_request(session: AsyncSession, tg_id: int, request_id: int) -> RequestView:
    return await _change_request(
        session, tg_id, request_id, "provider", (RequestStatus.NEW,), RequestStatus.ACCEPTED
    )


async def decline_request(session: AsyncSession, tg_id: int, request_id: int) -> RequestView:
    return await _change_request(
        session, tg_id, request_id, "provider", (RequestStatus.NEW,), RequestStatus.DECLINED
    )


async def complete_request(session: AsyncSession, tg_id: int, request_id: int) -> RequestView:
    return await _change_request(
        session, tg_id, request_id, "provider", (RequestStatus.ACCEPTED,), RequestStatus.DONE
    )


async def cancel_request(session: AsyncSession, tg_id: int, request_id: int) -> RequestView:
    return await _change_request(
        session, tg_id, request_id, "resident", OPEN_REQUEST, RequestStatus.CANCELLED
    )


_RATABLE = (ServiceRequest.status == RequestStatus.DONE, ServiceRequest.rating.is_(None))
_COMMENTABLE = (ServiceRequest.rating.is_not(None), ServiceRequest.rating_comment.is_(None))


async def _update_own_request(
    session: AsyncSession,
    request_id: int,
    resident: User,
    guards: tuple[ColumnElement[bool], ...],
    values: dict[str, Any],
) -> bool:
    """One UPDATE of the resident's own request where ``guards`` still hold (so a double tap cannot apply
    it twice); False when no row matched."""
    result = await session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.id == request_id, ServiceRequest.resident_id == resident.id, *guards)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def rate(session: AsyncSession, tg_id: int, request_id: int, stars: int) -> RequestView:
    """One rating per completed request: a single guarded UPDATE, so a double tap cannot rate twice."""
    if not 1 <= int(stars) <= 5:
        raise ValidationFailed("showcase.pick_button")
    resident = await _registered(session, tg_id)
    async with write(session):
        values = {"rating": int(stars), "rated_at": utcnow()}
        if not await _update_own_request(session, request_id, resident, _RATABLE, values):
            request = await session.get(ServiceRequest, request_id)
            if request is None or request.resident_id != resident.id:
                raise NotAllowed("showcase.not_your_request")
            if request.rating is not None:
                raise Conflict("showcase.already_rated")
            raise Conflict("showcase.not_done_yet")
    session.expire_all()
    view = await request_view(session, request_id)
    assert view is not None
    return view


async def comment_rating(session: AsyncSession, tg_id: int, request_id: int, text: str) -> None:
    comment = clean_comment(text)
    resident = await _registered(session, tg_id)
    async with write(session):
        values = {"rating_comment": comment}
        if not await _update_own_request(session, request_id, resident, _COMMENTABLE, values):
            raise Conflict("showcase.already_rated")


@dataclass
class Conversation:
    view: RequestView
    sender: User
    recipient: User
    sender_role: str  # resident | provider


async def conversation(session: AsyncSession, tg_id: int, request_id: int) -> Conversation:
    """Who is writing about the request and to whom; only the two parties, only while it is accepted."""
    user = await _registered(session, tg_id)
    view = await request_view(session, request_id)
    if view is None:
        raise NotFound("showcase.request_gone")
    if user.id == view.resident.id:
        role, recipient = "resident", view.provider
    elif user.id == view.provider.id:
        role, recipient = "provider", view.resident
    else:
        raise NotAllowed("showcase.not_your_request")
    if view.request.status != RequestStatus.ACCEPTED:
        raise Conflict("showcase.chat_closed")
    if recipient.tg_id is None:
        raise Conflict("showcase.peer_gone")
    return Conversation(view, user, recipient, role)


async def log_message(
    session: AsyncSession, request_id: int, sender_id: int, kind: str, text: str | None
) -> None:
    async with write(session):
        session.add(
            ServiceMessage(
                request_id=request_id,
                sender_id=sender_id,
                kind=kind,
                text=(text or None) and text[:MESSAGE_LOG_MAX],
            )
        )


async def resident_requests(session: AsyncSession, user_id: int, limit: int = 20) -> list[RequestView]:
    return await _request_views(session, ServiceRequest.resident_id == user_id, limit)


async def provider_requests(session: AsyncSession, user_id: int, limit: int = 20) -> list[RequestView]:
    """The provider's requests: open ones first, then the latest closed."""
    views = await _request_views(session, ServiceCard.provider_id == user_id, 200)
    views.sort(key=lambda v: v.request.status not in OPEN_REQUEST)
    return views[:limit]


async def unanswered(
    session: AsyncSession, deadline: timedelta, now: datetime | None = None
) -> list[RequestView]:
    now = now or utcnow()
    rows = await session.scalars(
        select(ServiceRequest.id).where(
            ServiceRequest.status == RequestStatus.NEW,
            ServiceRequest.created_at <= now - deadline,
        )
    )
    views = [await request_view(session, request_id) for request_id in rows]
    return [v for v in views if v is not None]


async def claim_unanswered(
    session: AsyncSession, deadline: timedelta, now: datetime | None = None
) -> list[RequestView]:
    """Mark requests past the deadline (not yet raised) as raised, and return them. Exactly once."""
    now = now or utcnow()
    async with write(session):
        rows = await session.scalars(
            select(ServiceRequest.id)
            .where(
                ServiceRequest.status == RequestStatus.NEW,
                ServiceRequest.escalated_at.is_(None),
                ServiceRequest.created_at <= now - deadline,
            )
            .order_by(ServiceRequest.created_at)
            .limit(50)
            .with_for_update(skip_locked=True)
        )
        ids = list(rows)
        if ids:
            await session.execute(
                update(ServiceRequest).where(ServiceRequest.id.in_(ids)).values(escalated_at=now)
            )
    views = [await request_view(session, request_id) for request_id in ids]
    return [v for v in views if v is not None]


# --- trial office ---------------------------------------------------------------------------------


async def create_trial(
    session: AsyncSession,
    tg_id: int,
    date_from: date,
    date_to: date,
    purpose: str,
    today: date,
    pending_limit: int = 1,
) -> TrialApplication:
    purpose = clean_purpose(purpose)
    check_trial_dates(date_from, date_to, today)
    provider = await _provider(session, tg_id)
    async with write(session):
        pending = await count_rows(
            session,
            TrialApplication,
            TrialApplication.user_id == provider.id,
            TrialApplication.status == TrialStatus.PENDING,
        )
        if pending and pending >= pending_limit:  # APPROVAL_PENDING_LIMIT
            raise Conflict("showcase.trial_too_many")
        application = TrialApplication(
            user_id=provider.id,
            organisation=provider.organisation or "",
            date_from=date_from,
            date_to=date_to,
            purpose=purpose,
        )
        session.add(application)
        await session.flush()
    return application


async def _book_trial_office(
    session: AsyncSession, application: TrialApplication, user: User, staff_tg_id: int, tz: ZoneInfo
) -> str | None:
    """Inside decide_trial's write: the long booking of the trial office (the booking feature's)."""
    try:
        from services import booking  # the booking feature
    except ImportError:  # pragma: no cover - only while that feature is absent
        return None
    try:
        booking_row = await booking.add_long_booking(
            session,
            TRIAL_OFFICE_CODE,
            user.id,
            application.date_from,
            application.date_to,
            application.purpose[:200],
            tz=tz,
            staff_tg_id=staff_tg_id,
        )
    except booking.SlotTaken as exc:  # the office is already booked on some of those days
        raise Conflict("showcase.trial_office_taken") from exc
    return str(booking_row.id)


async def _ensure_trial_office(session: AsyncSession) -> None:
    try:
        from services import booking
    except ImportError:  # pragma: no cover
        return
    await booking.ensure_default_resources(session)


async def decide_trial(
    session: AsyncSession,
    staff_tg_id: int,
    application_id: int,
    approve: bool,
    comment: str | None = None,
    *,
    tz: ZoneInfo,
) -> tuple[TrialApplication, User]:
    """Staff approve (the office is booked for those days in the same transaction) or decline."""
    if not approve:
        comment = clean_comment(comment)
    else:
        await _ensure_trial_office(session)
    try:
        async with write(session):
            application = await locked(session, TrialApplication, application_id)
            if application.status != TrialStatus.PENDING:
                raise Conflict("showcase.already_moderated")
            user = await session.get(User, application.user_id)
            assert user is not None
            application.status = TrialStatus.APPROVED if approve else TrialStatus.DECLINED
            application.staff_comment = comment
            application.decided_by = staff_tg_id
            application.decided_at = utcnow()
            if approve:
                application.booking_ref = await _book_trial_office(
                    session, application, user, staff_tg_id, tz
                )
            audit.record(
                session,
                staff_tg_id,
                "showcase.trial_approve" if approve else "showcase.trial_decline",
                "showcase_trial",
                application.id,
                **({"comment": comment} if comment else {}),
            )
    except IntegrityError as exc:  # those days of the office were taken meanwhile
        raise Conflict("showcase.trial_office_taken") from exc
    return application, user


async def trial_applications(session: AsyncSession, user_id: int) -> list[TrialApplication]:
    rows = await session.scalars(
        select(TrialApplication)
        .where(TrialApplication.user_id == user_id)
        .order_by(TrialApplication.created_at.desc())
        .limit(10)
    )
    return list(rows)


async def pending_trials(session: AsyncSession) -> list[TrialApplication]:
    rows = await session.scalars(
        select(TrialApplication)
        .where(TrialApplication.status == TrialStatus.PENDING)
        .order_by(TrialApplication.created_at)
    )
    return list(rows)


# --- EXPO events: the cards taking part ----------------------------------------------------------


async def expo_events(session: AsyncSession, now: datetime | None = None, limit: int = 10) -> list[Any]:
    """Upcoming EXPO events (the events feature's) that cards can be linked to."""
    from db.models.events import Event, EventStatus

    now = now or utcnow()
    rows = await session.scalars(
        select(Event)
        .where(Event.kind == "expo", Event.status != EventStatus.CANCELLED, Event.ends_at >= now)
        .order_by(Event.starts_at)
        .limit(limit)
    )
    return list(rows)


async def link_to_event(session: AsyncSession, staff_tg_id: int, card_id: int, event_id: int) -> None:
    from db.models.events import Event, EventStatus

    try:
        async with write(session):
            card_row = await _locked_card(session, card_id)
            if card_row.status != CardStatus.PUBLISHED:
                raise Conflict("showcase.expo_not_published")
            event = await session.get(Event, event_id)
            if event is None or event.status == EventStatus.CANCELLED:
                raise NotFound("showcase.expo_event_gone")
            exists = await session.scalar(
                select(ExpoCard.id).where(ExpoCard.event_id == event_id, ExpoCard.card_id == card_id)
            )
            if exists is not None:
                raise Conflict("showcase.expo_already")
            session.add(ExpoCard(event_id=event_id, card_id=card_id, added_by=staff_tg_id))
            await session.flush()
            audit.record(
                session, staff_tg_id, "showcase.expo_link", "showcase_card", card_id, event_id=event_id
            )
    except IntegrityError as exc:  # linked by another staff member at the same moment
        raise Conflict("showcase.expo_already") from exc


async def unlink_from_event(session: AsyncSession, staff_tg_id: int, card_id: int, event_id: int) -> None:
    async with write(session):
        row = await session.scalar(
            select(ExpoCard).where(ExpoCard.event_id == event_id, ExpoCard.card_id == card_id)
        )
        if row is None:
            raise Conflict("showcase.expo_not_linked")
        await session.delete(row)
        audit.record(
            session, staff_tg_id, "showcase.expo_unlink", "showcase_card", card_id, event_id=event_id
        )


async def cards_for_event(session: AsyncSession, event_id: int) -> list[ServiceCard]:
    """Published cards taking part in an event: for the event's card (events feature)."""
    rows = await session.scalars(
        select(ServiceCard)
        .join(ExpoCard, ExpoCard.card_id == ServiceCard.id)
        .where(ExpoCard.event_id == event_id, ServiceCard.status == CardStatus.PUBLISHED)
        .order_by(ServiceCard.organisation, ServiceCard.id)
    )
    return list(rows)


async def events_for_card(
    session: AsyncSession, card_id: int, now: datetime | None = None, *, published_only: bool = True
) -> list[Any]:
    """Upcoming events a card takes part in (published ones for residents; staff see drafts too)."""
    from db.models.events import Event, EventStatus

    now = now or utcnow()
    shown = Event.status == EventStatus.PUBLISHED if published_only else Event.status != EventStatus.CANCELLED
    rows = await session.scalars(
        select(Event)
        .join(ExpoCard, ExpoCard.event_id == Event.id)
        .where(ExpoCard.card_id == card_id, shown, Event.ends_at >= now)
        .order_by(Event.starts_at)
    )
    return list(rows)


# --- figures for funders --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    published: int
    providers: int
    requests: int
    done: int
    residents_served: int
    rating_avg: float | None
    ratings: int


async def figures(session: AsyncSession, since: datetime | None = None) -> Figures:
    published = (
        await session.scalar(select(func.count()).where(ServiceCard.status == CardStatus.PUBLISHED)) or 0
    )
    providers = (
        await session.scalar(
            select(func.count(func.distinct(ServiceCard.provider_id))).where(
                ServiceCard.status == CardStatus.PUBLISHED
            )
        )
        or 0
    )
    window = [ServiceRequest.created_at >= since] if since else []
    done = [*window, ServiceRequest.status == RequestStatus.DONE]
    served = await session.scalar(select(func.count(func.distinct(ServiceRequest.resident_id))).where(*done))
    avg, count = (
        await session.execute(
            select(func.avg(ServiceRequest.rating), func.count(ServiceRequest.rating)).where(
                *window, ServiceRequest.rating.is_not(None)
            )
        )
    ).one()
    return Figures(
        published=published,
        providers=providers,
        requests=await count_rows(session, ServiceRequest, *window),
        done=await count_rows(session, ServiceRequest, *done),
        residents_served=served or 0,
        rating_avg=float(avg) if avg is not None else None,
        ratings=int(count or 0),
    )


# --- privacy and digest registries ----------------------------------------------------------------


async def export_person(session: AsyncSession, user: User) -> tuple[str, Any]:
    cards = await cards_of(session, user.id)
    requests = list(
        await session.scalars(select(ServiceRequest).where(ServiceRequest.resident_id == user.id))
    )
    messages = list(await session.scalars(select(ServiceMessage).where(ServiceMessage.sender_id == user.id)))
    own_requests = select(ServiceRequest.id).where(ServiceRequest.resident_id == user.id)
    to_own_cards = (
        select(ServiceRequest.id)
        .join(ServiceCard, ServiceCard.id == ServiceRequest.card_id)
        .where(ServiceCard.provider_id == user.id)
    )
    received = list(
        await session.scalars(
            select(ServiceMessage)
            .where(
                ServiceMessage.sender_id != user.id,
                or_(ServiceMessage.request_id.in_(own_requests), ServiceMessage.request_id.in_(to_own_cards)),
            )
            .order_by(ServiceMessage.id)
        )
    )
    trials = list(await session.scalars(select(TrialApplication).where(TrialApplication.user_id == user.id)))
    return "showcase", {
        "cards": [
            {
                "id": c.id,
                "organisation": c.organisation,
                "title": c.title,
                "description": c.description,
                "price": c.price,
                "districts": list(c.districts or []),
                "format": c.format,
                "photo_file_id": c.photo_file_id,
                "staff_comment": c.staff_comment,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
            }
            for c in cards
        ],
        "requests": [
            {
                "id": r.id,
                "card_id": r.card_id,
                "note": r.note,
                "note_voice_file_id": r.note_voice,
                "status": r.status,
                "phone_shared_with_provider": r.phone_shared,
                "phone_consent_at": r.phone_consent_at.isoformat() if r.phone_consent_at else None,
                "rating": r.rating,
                "rating_comment": r.rating_comment,
                "created_at": r.created_at.isoformat(),
            }
            for r in requests
        ],
        "messages_sent": [
            {"request_id": m.request_id, "kind": m.kind, "text": m.text, "at": m.created_at.isoformat()}
            for m in messages
        ],
        "messages_received": [
            {"request_id": m.request_id, "kind": m.kind, "text": m.text, "at": m.created_at.isoformat()}
            for m in received
        ],
        "trial_office_applications": [
            {
                "id": t.id,
                "date_from": t.date_from.isoformat(),
                "date_to": t.date_to.isoformat(),
                "organisation": t.organisation,
                "purpose": t.purpose,
                "status": t.status,
                "staff_comment": t.staff_comment,
            }
            for t in trials
        ],
    }


async def erase_person(session: AsyncSession, user: User) -> None:
    """Inside privacy.erase's write: free text by the person goes, their cards are taken down."""
    await session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.resident_id == user.id)
        .values(note=None, note_voice=None, rating_comment=None, phone_shared=False)
    )
    await session.execute(update(ServiceMessage).where(ServiceMessage.sender_id == user.id).values(text=None))
    await session.execute(
        update(TrialApplication)
        .where(TrialApplication.user_id == user.id)
        .values(purpose="—", organisation="", staff_comment=None)
    )
    card_ids = list(
        await session.scalars(
            select(ServiceCard.id).where(
                ServiceCard.provider_id == user.id, ServiceCard.status != CardStatus.REMOVED
            )
        )
    )
    for card_id in card_ids:
        await _close_open_requests(session, card_id)
    await session.execute(  # taken down, and nothing of them kept: texts and the photo's file id go
        update(ServiceCard)
        .where(ServiceCard.provider_id == user.id)
        .values(
            status=CardStatus.REMOVED,
            organisation="",
            title="—",
            description="",
            price=None,
            photo_file_id=None,
            staff_comment=None,
            search_text="",
        )
    )
    await session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.resident_id == user.id, ServiceRequest.status.in_(OPEN_REQUEST))
        .values(status=RequestStatus.CANCELLED, closed_at=utcnow())
    )


DIGEST_CANDIDATES = 500
"""At most this many services published in the last week are considered for the digest's batch."""


async def digest_new_cards(
    session: AsyncSession, users: Sequence[User], now: datetime, until: datetime
) -> dict[int, list[digest.DigestItem]]:
    """New services published in the last week in each person's districts of interest, not their own;
    one query for the whole batch."""
    import html

    cards = list(
        await session.scalars(
            select(ServiceCard)
            .where(
                ServiceCard.status == CardStatus.PUBLISHED,
                ServiceCard.published_at >= now - timedelta(days=7),
            )
            .order_by(ServiceCard.published_at.desc(), ServiceCard.id.desc())
            .limit(DIGEST_CANDIDATES)
        )
    )
    if not cards:
        return {}
    items = {
        c.id: digest.DigestItem(
            text=f"{html.escape(c.title)} — {html.escape(c.organisation)}",
            button=("showcase.btn_open", f"shv:{c.id}"),
        )
        for c in cards
    }
    found: dict[int, list[digest.DigestItem]] = {}
    for user in users:
        districts = list(user.interest_districts or ([user.district] if user.district else []))
        fitting = [
            items[c.id]
            for c in cards
            if c.provider_id != user.id
            and (not districts or any(f",{d}," in (c.district_index or "") for d in districts))
        ][:5]
        if fitting:
            found[user.id] = fitting
    return found


# --- the staff's alert about unanswered requests (a scheduler job) --------------------------------


async def raise_unanswered(
    notifier: Notifier, db: Any, i18n: Translator, settings: Any, now: datetime | None = None
) -> int:
    """Requests the provider has not answered within ``showcase_answer_hours`` are raised in the admin
    chat (each once: marked in the database first) and the provider gets a reminder. Returns how many.
    Messages go through ``notifier`` (bot.delivery); texts in the recipient's language from ``i18n``."""
    import html

    _ = i18n.gettext
    deadline = timedelta(hours=settings.showcase_answer_hours)
    async with db.session() as session:
        views = await claim_unanswered(session, deadline, now)
    if not views:
        return 0
    tz = settings.tz
    with i18n.context():
        if settings.admin_chat_id is not None:
            with i18n.use_locale(settings.default_locale):
                lines = [_("showcase.unanswered_title").format(hours=settings.showcase_answer_hours)]
                for view in views:
                    lines.append(
                        _("showcase.unanswered_line").format(
                            id=number("request", view.request.id),
                            title=html.escape(view.card.title),
                            organisation=html.escape(view.card.organisation),
                            provider=html.escape(view.provider.full_name or "—"),
                            at=view.request.created_at.astimezone(tz).strftime("%d.%m %H:%M"),
                        )
                    )
            for chunk in _chunks(lines):
                try:
                    await notifier.send(settings.admin_chat_id, chunk)
                except DeliveryError:
                    log.warning("could not raise unanswered requests in the admin chat", exc_info=True)
        for view in views:
            if view.provider.tg_id is None or view.provider.messenger != TELEGRAM:
                continue  # the job's notifier is the Telegram Bot; a provider in MAX sees it in /my
            with i18n.use_locale(view.provider.language or settings.default_locale):
                text = _("showcase.unanswered_reminder").format(
                    id=number("request", view.request.id), title=html.escape(view.card.title)
                )
            try:
                await notifier.send(view.provider.tg_id, text)
            except DeliveryError:
                log.info("could not remind provider %s", view.provider.id)
    return len(views)


def _chunks(lines: list[str], limit: int = 3500) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


UNANSWERED_JOB = "showcase.unanswered"
UNANSWERED_EVERY_MINUTES = 30
