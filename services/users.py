"""Registration, consent, profile, and the person's rights over their data (152-ФЗ)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db import messenger
from db.base import utcnow
from db.engine import write
from db.models import ConsentLog, User, UserStatus
from db.repositories import users as users_repo
from services.errors import NotFound, ValidationFailed

TARGET_GROUPS = (
    "citizen",
    "nko_staff",
    "entrepreneur",
    "municipal",
    "project_team",
    "service_user",
    "partner",
)
ORGANISATION_GROUPS = frozenset({"nko_staff", "entrepreneur", "municipal"})
DISTRICTS = (
    "krasnoturansky",
    "idrinsky",
    "minusinsky",
    "kuraginsky",
    "ermakovsky",
    "karatuzsky",
    "shushensky",
    "minusinsk",
    "other",
)
LANGUAGES = ("ru", "en")
NAME_MAX = 100
ORGANISATION_MAX = 200
PROFILE_FIELDS = ("full_name", "target_group", "organisation", "district", "phone", "news_opt_in")

_SPACES = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(text: str | None) -> str:
    value = _SPACES.sub(" ", (text or "")).strip()
    if not (2 <= len(value) <= NAME_MAX) or not _LETTER.search(value) or _CONTROL.search(value):
        raise ValidationFailed("reg.bad_name", n=NAME_MAX)
    return value


def clean_organisation(text: str | None) -> str:
    value = _SPACES.sub(" ", (text or "")).strip()
    if not (2 <= len(value) <= ORGANISATION_MAX) or not _LETTER.search(value):
        raise ValidationFailed("reg.bad_organisation", n=ORGANISATION_MAX)
    return value


def clean_phone(text: str | None) -> str:
    """Normalise a Russian or international phone number to +digits."""
    raw = (text or "").strip()
    digits = re.sub(r"\D", "", raw)
    if re.fullmatch(r"[\d\s()+\-]+", raw) is None:
        raise ValidationFailed("reg.bad_phone")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    if not 11 <= len(digits) <= 15:
        raise ValidationFailed("reg.bad_phone")
    return "+" + digits


def needs_organisation(target_group: str | None) -> bool:
    return target_group in ORGANISATION_GROUPS


def clean_choice(value: str | None, allowed: tuple[str, ...], key: str) -> str:
    if value not in allowed:
        raise ValidationFailed(key)
    return value


async def give_consent(session: AsyncSession, tg_id: int, policy_version: str) -> User:
    """Record consent (creating the person's row) and return the person."""
    async with write(session):
        user = await users_repo.by_tg_id(session, tg_id)
        if user is None:
            user = User(tg_id=tg_id, messenger=messenger.current(), status=UserStatus.CONSENTED)
            session.add(user)
            try:
                await session.flush()
            except IntegrityError:  # a second instance was faster
                await session.rollback()
                raise
        session.add(ConsentLog(user_id=user.id, action="given", policy_version=policy_version))
    return user


def _set_fields(user: User | None, values: dict[str, Any], missing: str) -> User:
    """The validated profile fields onto the person's row; ``missing``: the error when there is no row."""
    if user is None:
        raise NotFound(missing)
    for field, value in values.items():
        setattr(user, field, value)
    return user


async def complete_registration(session: AsyncSession, tg_id: int, profile: dict[str, Any]) -> User:
    """Store the profile collected by the registration dialog (validated again here)."""
    values = _validated(profile)
    async with write(session):
        user = _set_fields(await users_repo.by_tg_id(session, tg_id), values, "reg.no_consent")
        if not needs_organisation(user.target_group) and "organisation" not in profile:
            user.organisation = None
        user.digest_enabled = user.news_opt_in
        if user.district and user.district != "other" and not user.interest_districts:
            user.interest_districts = [user.district]
        user.status = UserStatus.REGISTERED
        user.registered_at = user.registered_at or utcnow()
    return user


async def update_profile(session: AsyncSession, tg_id: int, changes: dict[str, Any]) -> User:
    values = _validated(changes)
    async with write(session):
        user = _set_fields(await users_repo.registered_by_tg_id(session, tg_id), values, "reg.not_registered")
        if "target_group" in values and not needs_organisation(user.target_group):
            user.organisation = None
        if "news_opt_in" in values:
            user.digest_enabled = user.news_opt_in
    return user


async def set_language(session: AsyncSession, tg_id: int, language: str) -> None:
    language = clean_choice(language, LANGUAGES, "error.invalid")
    async with write(session):
        await session.execute(update(User).where(users_repo.is_person(tg_id)).values(language=language))


def _validated(profile: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, value in profile.items():
        if field == "full_name":
            values[field] = clean_name(value)
        elif field == "target_group":
            values[field] = clean_choice(value, TARGET_GROUPS, "reg.pick_button")
        elif field == "organisation":
            values[field] = clean_organisation(value) if value else None
        elif field == "district":
            values[field] = clean_choice(value, DISTRICTS, "reg.pick_button")
        elif field == "phone":
            values[field] = clean_phone(value) if value else None
        elif field == "news_opt_in":
            values[field] = bool(value)
        elif field == "username":
            values[field] = (value or None) and str(value)[:64]
        else:
            raise ValueError(f"unknown profile field {field}")
    return values


def export(user: User, consents: list[ConsentLog]) -> dict[str, Any]:
    """The person's own data as a JSON-safe dict (the /privacy download)."""
    return {
        "telegram_id": user.tg_id,
        "messenger": user.messenger,
        "status": user.status,
        "full_name": user.full_name,
        "username": user.username,
        "target_group": user.target_group,
        "organisation": user.organisation,
        "district": user.district,
        "phone": user.phone,
        "language": user.language,
        "news_opt_in": user.news_opt_in,
        "digest_enabled": user.digest_enabled,
        "reminders_enabled": user.reminders_enabled,
        "reminder_lead_minutes": user.reminder_lead_minutes,
        "interest_districts": user.interest_districts,
        "interest_topics": user.interest_topics,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "registered_at": user.registered_at.isoformat() if user.registered_at else None,
        "consents": [
            {"action": c.action, "policy_version": c.policy_version, "at": c.at.isoformat()} for c in consents
        ],
    }


def anonymise(session: AsyncSession, user: User, policy_version: str) -> None:
    """Erase the person's identity inside the caller's write; rows that reports need stay, without it."""
    session.add(ConsentLog(user_id=user.id, action="withdrawn", policy_version=policy_version))
    user.tg_id = None
    user.linked_to_id = None
    user.link_code = None
    user.link_code_until = None
    user.full_name = None
    user.username = None
    user.phone = None
    user.organisation = None
    user.language = None
    user.news_opt_in = False
    user.digest_enabled = False
    user.status = UserStatus.ERASED
    user.erased_at = utcnow()
