"""Whether a person's consent covers the current policy version (152-ФЗ). Read from the consent log on
every call, never cached: a withdrawal or a new version takes effect at once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConsentLog, UserStatus

GATED_STATUSES = frozenset({UserStatus.CONSENTED, UserStatus.REGISTERED})


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version or "")) or (0,)


def is_older(given: str, current: str) -> bool:
    """True when consent given for ``given`` does not cover ``current`` (the policy rose since)."""
    return given != current and version_key(given) < version_key(current)


async def last_consent(session: AsyncSession, user_id: int) -> ConsentLog | None:
    return await session.scalar(
        select(ConsentLog).where(ConsentLog.user_id == user_id).order_by(ConsentLog.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class LastConsent:
    """What the gate needs of the last consent-log row (kept in the per-process cache on SQLite)."""

    action: str
    policy_version: str


async def last_consent_state(session: AsyncSession, user_id: int) -> LastConsent | None:
    row = await last_consent(session, user_id)
    return None if row is None else LastConsent(row.action, row.policy_version)


def needs_consent(last: ConsentLog | LastConsent | None, current: str) -> bool:
    """Asked again when the last consent was given for an older version (or withdrawn). A row with no
    consent record at all was made before the log existed (or by staff tools): not gated here."""
    if last is None:
        return False
    return last.action != "given" or is_older(last.policy_version, current)
