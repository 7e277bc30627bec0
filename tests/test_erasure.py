"""152-ФЗ (issue #14): every column that can hold personal data is exported and erased.

``COLUMNS`` classifies every column of every table; a new column fails the inventory test until it is
classified here (and, if personal, exported by /privacy and erased with the person). The marker test
fills one row of every table with the person's data as unique marker strings, checks the export holds
each exported one, erases the person, and scans every text and JSON column of every table for any marker.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Integer, String, Text, select
from sqlalchemy.sql.sqltypes import TypeDecorator

from db.base import utcnow
from db.models import Base, User
from services import privacy
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID

NO = "not personal"
STAFF = "staff's own"  # a staff member's id or text, not the person's
EXPORT_ERASE = "exported and erased"
ERASE = "erased (an identifier or link; nothing to show)"
EXPORT_KEEP = "exported; kept anonymous for the reports"
RETENTION = "staff-booked guest: erased by the retention job"
SWEPT = "quotes of the person are swept on erasure"

COLUMNS: dict[str, str] = {
    # core
    "users.id": NO, "users.tg_id": ERASE, "users.messenger": EXPORT_KEEP,
    "users.linked_to_id": ERASE, "users.link_code": ERASE, "users.link_code_until": NO, "users.status": NO, "users.full_name": EXPORT_ERASE,
    "users.username": EXPORT_ERASE, "users.target_group": EXPORT_KEEP, "users.organisation": EXPORT_ERASE,
    "users.district": EXPORT_KEEP, "users.phone": EXPORT_ERASE, "users.language": EXPORT_ERASE,
    "users.news_opt_in": EXPORT_KEEP, "users.digest_enabled": EXPORT_KEEP, "users.reminders_enabled": EXPORT_KEEP,
    "users.reminder_lead_minutes": EXPORT_KEEP, "users.interest_districts": EXPORT_KEEP,
    "users.interest_topics": EXPORT_KEEP, "users.unreachable_at": NO, "users.created_at": EXPORT_KEEP,
    "users.registered_at": EXPORT_KEEP, "users.erased_at": NO,
    "consent_log.id": NO, "consent_log.user_id": NO, "consent_log.action": EXPORT_KEEP,
    "consent_log.policy_version": EXPORT_KEEP, "consent_log.at": EXPORT_KEEP,
    "audit_log.id": NO, "audit_log.actor_tg_id": STAFF, "audit_log.action": NO, "audit_log.object_type": NO,
    "audit_log.object_id": NO, "audit_log.details": SWEPT, "audit_log.at": NO,
    "fsm_state.key": ERASE, "fsm_state.state": NO, "fsm_state.data": ERASE, "fsm_state.updated_at": NO,
    # booking
    "booking_resources.*": NO,
    "bookings.id": NO, "bookings.resource_id": NO, "bookings.user_id": NO, "bookings.guest_name": RETENTION,
    "bookings.guest_phone": RETENTION, "bookings.booked_by_tg_id": STAFF, "bookings.start_at": EXPORT_KEEP,
    "bookings.end_at": EXPORT_KEEP, "bookings.minutes": NO, "bookings.purpose": EXPORT_ERASE,
    "bookings.status": EXPORT_KEEP, "bookings.is_long": NO, "bookings.reason": EXPORT_ERASE,
    "bookings.coming_at": NO, "bookings.decided_by_tg_id": STAFF, "bookings.decided_at": NO,
    "bookings.cancelled_at": NO, "bookings.created_at": EXPORT_KEEP,
    "booking_slots.*": NO,
    # broadcasts
    "broadcasts.*": STAFF,
    "broadcast_deliveries.id": NO, "broadcast_deliveries.broadcast_id": EXPORT_KEEP,
    "broadcast_deliveries.user_id": NO, "broadcast_deliveries.chat_id": ERASE,
    "broadcast_deliveries.messenger": NO,
    "broadcast_deliveries.status": EXPORT_KEEP, "broadcast_deliveries.attempts": NO,
    "broadcast_deliveries.next_at": NO, "broadcast_deliveries.message_id": NO,
    "broadcast_deliveries.error": NO, "broadcast_deliveries.sent_at": EXPORT_KEEP,
    # consultations
    "consultation_topics.*": NO,
    "consultations.id": NO, "consultations.user_id": NO, "consultations.topic_id": EXPORT_KEEP,
    "consultations.question": EXPORT_ERASE, "consultations.organisation": EXPORT_ERASE,
    "consultations.org_key": ERASE, "consultations.format": EXPORT_KEEP, "consultations.preferred_time": EXPORT_KEEP,
    "consultations.status": EXPORT_KEEP, "consultations.assignee_tg_id": STAFF, "consultations.assignee_name": STAFF,
    "consultations.outcome": EXPORT_KEEP, "consultations.meeting_at": EXPORT_KEEP,
    "consultations.meeting_place": EXPORT_KEEP, "consultations.rating": EXPORT_KEEP,
    "consultations.rating_comment": EXPORT_ERASE, "consultations.card_chat_id": NO,
    "consultations.card_message_id": NO, "consultations.card_thread_id": NO, "consultations.created_at": EXPORT_KEEP,
    "consultations.taken_at": NO, "consultations.closed_at": EXPORT_KEEP, "consultations.escalated_at": NO,
    "consultation_links.chat_id": ERASE, "consultation_links.message_id": NO,
    "consultation_links.consultation_id": NO, "consultation_links.purpose": NO, "consultation_links.created_at": NO,
    "consultation_messages.id": NO, "consultation_messages.consultation_id": NO,
    "consultation_messages.author": EXPORT_KEEP, "consultation_messages.author_tg_id": ERASE,
    "consultation_messages.author_name": ERASE, "consultation_messages.kind": EXPORT_KEEP,
    "consultation_messages.text": EXPORT_ERASE, "consultation_messages.file_id": EXPORT_ERASE,
    "consultation_messages.file_name": EXPORT_ERASE, "consultation_messages.created_at": EXPORT_KEEP,
    # digest
    "digest_news.*": STAFF,
    "job_leases.*": NO,  # which instance runs a scheduled job: no person in it
    "staff_topics.*": NO,  # the admin chat's forum topics and pinned count: no person in it
    # events
    "events.*": STAFF,
    "event_signups.id": NO, "event_signups.event_id": NO, "event_signups.user_id": NO,
    "event_signups.status": EXPORT_KEEP, "event_signups.created_at": EXPORT_KEEP, "event_signups.confirmed_at": NO,
    "event_signups.cancelled_at": NO, "event_signups.offered_at": NO, "event_signups.offer_expires_at": NO,
    "event_signups.will_come_at": NO, "event_signups.checked_in_at": EXPORT_KEEP,
    "event_signups.checked_in_by": STAFF, "event_signups.rating": EXPORT_KEEP,
    "event_signups.comment": EXPORT_ERASE, "event_signups.feedback_at": NO,
    # ideas (an unpublished idea goes whole; a published one stays, without its author)
    "ideas.id": NO, "ideas.author_id": NO, "ideas.title": EXPORT_ERASE, "ideas.problem": EXPORT_ERASE,
    "ideas.description": EXPORT_ERASE, "ideas.district": EXPORT_KEEP, "ideas.audience": EXPORT_KEEP,
    "ideas.help_needed": EXPORT_KEEP, "ideas.media": EXPORT_ERASE, "ideas.status": EXPORT_KEEP,
    "ideas.staff_comment": EXPORT_ERASE, "ideas.support_count": EXPORT_KEEP, "ideas.created_at": EXPORT_KEEP,
    "ideas.submitted_at": NO, "ideas.published_at": EXPORT_KEEP, "ideas.decided_at": NO,
    "ideas.threshold_raised_at": NO, "ideas.last_update_at": NO, "ideas.card_message_id": NO,
    "idea_reviews.id": NO, "idea_reviews.idea_id": NO, "idea_reviews.status": EXPORT_KEEP,
    "idea_reviews.comment": EXPORT_ERASE, "idea_reviews.actor_tg_id": STAFF, "idea_reviews.at": EXPORT_KEEP,
    "idea_supports.*": NO,
    "idea_updates.id": NO, "idea_updates.idea_id": NO, "idea_updates.text": EXPORT_ERASE,
    "idea_updates.recipients": NO, "idea_updates.created_at": EXPORT_KEEP,
    # notifications
    "notifications.id": NO, "notifications.key": NO, "notifications.user_id": NO, "notifications.chat_id": ERASE,
    "notifications.messenger": NO,
    "notifications.kind": EXPORT_KEEP, "notifications.ref_type": EXPORT_KEEP, "notifications.ref_id": EXPORT_KEEP,
    "notifications.payload": SWEPT, "notifications.due_at": EXPORT_KEEP, "notifications.expires_at": NO,
    "notifications.quiet": NO, "notifications.status": EXPORT_KEEP, "notifications.attempts": NO,
    "notifications.last_error": ERASE, "notifications.claimed_until": NO, "notifications.sent_at": EXPORT_KEEP,
    "notifications.created_at": NO,
    # showcase
    "showcase_categories.*": NO,
    "showcase_expo_cards.*": NO,
    "showcase_cards.id": NO, "showcase_cards.provider_id": NO, "showcase_cards.organisation": EXPORT_ERASE,
    "showcase_cards.title": EXPORT_ERASE, "showcase_cards.category_id": NO,
    "showcase_cards.description": EXPORT_ERASE, "showcase_cards.districts": EXPORT_KEEP,
    "showcase_cards.district_index": NO, "showcase_cards.price": EXPORT_ERASE, "showcase_cards.format": EXPORT_KEEP,
    "showcase_cards.photo_file_id": EXPORT_ERASE, "showcase_cards.status": EXPORT_KEEP,
    "showcase_cards.staff_comment": EXPORT_ERASE, "showcase_cards.search_text": ERASE,
    "showcase_cards.moderated_by": STAFF, "showcase_cards.moderated_at": NO, "showcase_cards.published_at": NO,
    "showcase_cards.created_at": EXPORT_KEEP, "showcase_cards.updated_at": NO,
    "showcase_trial_applications.id": NO, "showcase_trial_applications.user_id": NO,
    "showcase_trial_applications.organisation": EXPORT_ERASE, "showcase_trial_applications.date_from": EXPORT_KEEP,
    "showcase_trial_applications.date_to": EXPORT_KEEP, "showcase_trial_applications.purpose": EXPORT_ERASE,
    "showcase_trial_applications.status": EXPORT_KEEP, "showcase_trial_applications.staff_comment": EXPORT_ERASE,
    "showcase_trial_applications.decided_by": STAFF, "showcase_trial_applications.decided_at": NO,
    "showcase_trial_applications.booking_ref": NO, "showcase_trial_applications.created_at": NO,
    # providers' offline recipients: figures about a card, exported, kept (anonymous) for the reach report
    "report_offline_recipients.id": NO, "report_offline_recipients.card_id": EXPORT_KEEP,
    "report_offline_recipients.provider_id": NO, "report_offline_recipients.month": EXPORT_KEEP,
    "report_offline_recipients.count": EXPORT_KEEP, "report_offline_recipients.source": EXPORT_KEEP,
    "report_offline_recipients.corrected_by": NO, "report_offline_recipients.answered_at": EXPORT_KEEP,
    "showcase_requests.id": NO, "showcase_requests.card_id": EXPORT_KEEP, "showcase_requests.resident_id": NO,
    "showcase_requests.note": EXPORT_ERASE, "showcase_requests.note_voice": EXPORT_ERASE, "showcase_requests.phone_shared": EXPORT_KEEP,
    "showcase_requests.phone_consent_at": EXPORT_KEEP, "showcase_requests.status": EXPORT_KEEP,
    "showcase_requests.created_at": EXPORT_KEEP, "showcase_requests.answered_at": NO,
    "showcase_requests.done_at": NO, "showcase_requests.closed_at": NO, "showcase_requests.escalated_at": NO,
    "showcase_requests.rating": EXPORT_KEEP, "showcase_requests.rating_comment": EXPORT_ERASE,
    "showcase_requests.rated_at": NO,
    "showcase_messages.id": NO, "showcase_messages.request_id": EXPORT_KEEP, "showcase_messages.sender_id": NO,
    "showcase_messages.kind": EXPORT_KEEP, "showcase_messages.text": EXPORT_ERASE,
    "showcase_messages.created_at": EXPORT_KEEP,
}  # fmt: skip

PERSONAL_TEXT = {EXPORT_ERASE}


def classification(table: str, column: str) -> str | None:
    return COLUMNS.get(f"{table}.{column}") or COLUMNS.get(f"{table}.*")


def test_every_column_is_classified_for_personal_data() -> None:
    """A new column fails here until it is classified; a personal one must then be exported and erased."""
    missing = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if classification(table.name, column.name) is None
    ]
    assert not missing, f"classify these columns in tests/test_erasure.py COLUMNS: {missing}"
    stale = [k for k in COLUMNS if k.split(".")[0] not in Base.metadata.tables]
    assert not stale, stale


def _base_type(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl if not isinstance(kind.impl, type) else kind.impl()
    return kind


TG = 88_000_123  # the person's Telegram id
MARK = "ZQ"  # every personal value carries it; nothing else in the database does


def _value(table: str, column: Any, ids: dict[str, int], user_id: int, index: int) -> Any:
    name = column.name
    kind = _base_type(column)
    cls = classification(table, name)
    for fk in column.foreign_keys:
        target = fk.column.table.name
        return user_id if target == "users" else ids.get(target)
    if table == "consultation_messages" and name == "author":
        return "person"
    if table == "fsm_state" and name == "key":
        return f"fsm:{TG}:{TG}:default"
    if name in ("chat_id", "author_tg_id") and cls == ERASE:
        return TG
    if cls == EXPORT_ERASE or (cls in (ERASE, SWEPT) and isinstance(kind, (String, Text, JSON))):
        marker = f"{MARK}{index:03d}"
        if isinstance(kind, JSON):
            if cls == SWEPT:  # a notice to someone else, an audit entry: quoting the person by name
                return {"text": f"Заявка от {MARK}name Маркеров, тел. +79998880001"}
            return [{"kind": "photo", "file_id": marker}]
        return marker
    if isinstance(kind, JSON):
        return []
    if isinstance(kind, (String, Text)):
        return "x"
    if isinstance(kind, DateTime):
        return utcnow() - timedelta(days=1)
    if isinstance(kind, Date):
        return utcnow().date()
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, (Integer, BigInteger)):
        return 1
    return None


async def test_erasure_leaves_no_marker_in_any_table(db: Any, dp: Any, bot: Any) -> None:
    from sqlalchemy import insert

    async with db.session() as s:
        person = User(
            tg_id=TG,
            full_name=f"{MARK}name Маркеров",
            username=f"{MARK}user",
            organisation=f"{MARK}org АНО",
            phone="+7999" + "8880001",
            status="registered",
            district="idrinsky",
        )
        s.add(person)
        await s.commit()
        user_id = person.id
    ids: dict[str, int] = {"users": user_id}
    index = 0
    async with db.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "users":
                continue
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.primary_key and column.autoincrement is not False and not column.foreign_keys:
                    if (
                        isinstance(_base_type(column), (Integer, BigInteger))
                        and table.name != "consultation_links"
                    ):
                        continue
                index += 1
                value = _value(table.name, column, ids, user_id, index)
                if value is None and not column.nullable and column.default is None:
                    value = 1
                row[column.name] = value
            if table.name == "consultation_links":
                row["message_id"] = 1
            result = await conn.execute(insert(table).values(**row))
            if result.inserted_primary_key and table.name != "consultation_links":
                ids[table.name] = result.inserted_primary_key[0]
    async with db.session() as s:
        person = await s.get(User, user_id)
        exported = json.dumps(await privacy.export(s, person), ensure_ascii=False, default=str)
    expected = {"ZQname Маркеров", "ZQuser", "ZQorg АНО", "+79998880001"}
    missing = [v for v in expected if v not in exported]
    assert not missing, missing
    async with db.engine.connect() as conn:
        markers_by_column = {}
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if classification(table.name, column.name) == EXPORT_ERASE and table.name != "users":
                    values = [v for (v,) in await conn.execute(select(column)) if v is not None]
                    markers_by_column[f"{table.name}.{column.name}"] = values
    not_exported = [
        name
        for name, values in markers_by_column.items()
        if values
        and not any(
            json.dumps(v, ensure_ascii=False).strip('"') in exported or str(v) in exported for v in values
        )
    ]
    assert not not_exported, f"personal columns missing from the /privacy export: {not_exported}"

    async with db.session() as s:
        await privacy.erase(s, TG, "1.0")

    leftovers = []
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                kind = _base_type(column)
                for (value,) in await conn.execute(select(column)):
                    if value is None:
                        continue
                    text = (
                        json.dumps(value, ensure_ascii=False, default=str)
                        if isinstance(kind, JSON)
                        else str(value)
                    )
                    if (
                        MARK in text
                        or "8880001" in text
                        or (str(TG) in text and isinstance(kind, (String, Text, BigInteger, JSON)))
                    ):
                        leftovers.append(f"{table.name}.{column.name}={text[:60]}")
    assert not leftovers, f"identifying values left after erasure: {leftovers}"


async def test_erasure_edits_the_staff_cards_and_forgets_dialogs_in_every_chat(
    client: TgClient, staff: TgClient, db: Any, dp: Any, bot: Any, fake_session: Any
) -> None:
    """The bot's own staff-chat card of the person's request says «данные удалены по запросу»; their FSM
    state and drafts go in every chat (SQL rows or Redis keys)."""
    from aiogram.fsm.storage.base import StorageKey

    from tests.test_consultations import file_request, registered

    await registered(client)
    await file_request(client, question="Вопрос Маркерова про устав АНО «Маркер»")
    card = next(
        c for c in fake_session.calls_of("SendMessage", chat_id=ADMIN_CHAT_ID) if "Маркерова" in c.method.text
    )
    card_id = card.result.message_id
    other_chat = StorageKey(bot_id=bot.id, chat_id=ADMIN_CHAT_ID, user_id=client.user.id)
    await dp.storage.set_state(other_chat, "Some:draft")
    await dp.storage.set_data(other_chat, {"draft": "Маркеров черновик"})
    await client.send("/privacy")
    await client.press("Скачать мои данные")
    [document] = client.sent("SendDocument")
    data = json.loads(document.method.document.data)
    assert data["consultations"][0]["question"].startswith("Вопрос Маркерова")
    readable = client.last_text  # the same data as a message a person can read
    assert "Что Центр знает о вас" in readable and "Консультации" in readable and "Маркерова" in readable
    await client.press("Удалить мои данные")
    await client.press("Да, удалить")
    edits = [
        c
        for c in fake_session.calls_of("EditMessageText", chat_id=ADMIN_CHAT_ID)
        if c.method.message_id == card_id
    ]
    assert edits and "Данные удалены по запросу" in edits[-1].method.text
    assert await dp.storage.get_state(other_chat) is None
    assert await dp.storage.get_data(other_chat) == {}


async def test_retention_erases_old_guests_and_expires_untouched_drafts(db: Any) -> None:
    from db.models import Booking, FsmState
    from services import booking as booking_svc

    now = utcnow()
    async with db.session() as s:
        await booking_svc.ensure_default_resources(s)
        resource = (await booking_svc.resources(s))[0]
        for days, name in ((100, "Гость Старый"), (10, "Гость Недавний")):
            s.add(
                Booking(
                    resource_id=resource.id,
                    guest_name=name,
                    guest_phone="+79990000000",
                    booked_by_tg_id=5001,
                    start_at=now - timedelta(days=days, hours=2),
                    end_at=now - timedelta(days=days),
                    minutes=120,
                    status="confirmed",
                    created_at=now - timedelta(days=days + 1),
                )
            )
        s.add(FsmState(key="fsm:1:1:default", state="Old:step", updated_at=now - timedelta(days=31)))
        s.add(FsmState(key="fsm:2:2:default", state="New:step", updated_at=now - timedelta(days=29)))
        await s.commit()
    async with db.session() as s:
        assert await privacy.apply_retention(s, now, guest_days=90, draft_days=30) == (1, 1)
    async with db.session() as s:
        names = set(await s.scalars(select(Booking.guest_name)))
        keys = set(await s.scalars(select(FsmState.key)))
    assert names == {None, "Гость Недавний"} and keys == {"fsm:2:2:default"}
