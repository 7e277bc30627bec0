"""The booking rules (services/booking.py) at a fixed moment: hours, window, notice, durations,
capacity, quotas, cancellation, approval, long bookings, .ics. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bot.i18n import create_i18n
from db.engine import write
from db.models import Booking, BookingSlot, BookingStatus, Notification, NotificationStatus, Resource, User
from db.models.core import UserStatus
from keyboards.booking import BookingAction
from services import booking as svc
from services import ics
from services.errors import Conflict, NotAllowed, NotFound, ValidationFailed

TZ = ZoneInfo("Asia/Krasnoyarsk")
MONDAY = date(2030, 1, 7)  # a Monday
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=TZ).astimezone(UTC)  # Monday 08:00 local


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def make_users(db, count: int, organisation: str | None = None, start: int = 1) -> list[User]:
    async with db.session() as s, write(s):
        users = [
            User(
                tg_id=70000 + start + n,
                full_name=f"Житель {start + n}",
                status=UserStatus.REGISTERED,
                organisation=organisation,
            )
            for n in range(count)
        ]
        s.add_all(users)
    return users


@pytest.fixture
async def seeded(db) -> dict[str, Resource]:
    async with db.session() as s:
        assert await svc.ensure_default_resources(s) == len(svc.DEFAULT_RESOURCES)
        return {r.code: r for r in await svc.resources(s)}


async def book(
    db, resource: Resource, user: User, start: datetime, minutes: int, now: datetime = NOW
) -> Booking:
    async with db.session() as s:
        return await svc.create_booking(
            s, resource_id=resource.id, user=user, start=start, minutes=minutes, tz=TZ, now=now
        )


async def test_defaults_are_seeded_once(db, seeded) -> None:
    async with db.session() as s:
        assert await svc.ensure_default_resources(s) == 0
        assert await s.scalar(select(func.count()).select_from(Resource)) == 4
    cow, room, expo, office = (seeded[c] for c in ("coworking", "meeting_room", "expo_hall", "trial_office"))
    assert cow.capacity == 6 and not cow.needs_approval
    assert room.capacity == 1 and expo.needs_approval and office.needs_approval


async def test_staff_changes_survive_reseeding(db, seeded) -> None:
    async with db.session() as s:
        await svc.update_resource(s, seeded["coworking"].id, 1, "capacity", 8)
        await svc.update_resource(s, seeded["expo_hall"].id, 1, "active", False)
        await svc.ensure_default_resources(s)
        cow = await svc.resource_by_code(s, "coworking")
        assert cow.capacity == 8
        assert [r.code for r in await svc.resources(s)] == ["coworking", "meeting_room", "trial_office"]


def test_slots_follow_opening_hours(seeded) -> None:
    cow = seeded["coworking"]
    monday = svc.day_slots(cow, MONDAY, TZ)
    assert len(monday) == 9 and monday[0] == at(MONDAY, 9) and monday[-1] == at(MONDAY, 17)
    saturday = svc.day_slots(cow, MONDAY + timedelta(days=5), TZ)
    assert [s.astimezone(TZ).hour for s in saturday] == [10, 11, 12, 13, 14]
    assert svc.day_slots(cow, MONDAY + timedelta(days=6), TZ) == []  # Sunday
    cow.closed_dates = [MONDAY.isoformat()]
    assert svc.day_slots(cow, MONDAY, TZ) == []
    office = seeded["trial_office"]
    assert svc.day_slots(office, MONDAY, TZ) == [at(MONDAY, 9)]  # one whole-day slot


@pytest.mark.parametrize(
    ("code", "start", "minutes", "error", "key"),
    [
        ("coworking", at(MONDAY, 10), 540, ValidationFailed, "booking.err_too_long"),
        ("coworking", at(MONDAY, 10), 90, ValidationFailed, "booking.err_step"),
        ("meeting_room", at(MONDAY, 10), 0, ValidationFailed, "booking.err_too_short"),
        ("coworking", at(MONDAY + timedelta(days=6), 10), 60, NotAllowed, "booking.err_closed"),
        ("coworking", at(MONDAY + timedelta(days=15), 10), 60, NotAllowed, "booking.err_too_far"),
        ("meeting_room", at(MONDAY, 8, 30), 60, NotAllowed, "booking.err_notice"),
        ("coworking", at(MONDAY, 7), 60, NotAllowed, "booking.err_past"),
        ("coworking", at(MONDAY, 10, 30), 60, NotAllowed, "booking.err_hours"),
        ("coworking", at(MONDAY, 20), 60, NotAllowed, "booking.err_hours"),
        ("coworking", at(MONDAY, 16), 180, NotAllowed, "booking.err_after_close"),
        ("coworking", at(MONDAY + timedelta(days=5), 14), 120, NotAllowed, "booking.err_after_close"),
        ("expo_hall", at(MONDAY, 12), 60, NotAllowed, "booking.err_notice"),
    ],
)
def test_rules_explain_what_is_wrong(seeded, code, start, minutes, error, key) -> None:
    with pytest.raises(error) as caught:
        svc.check_rules(seeded[code], start, minutes, now=NOW, tz=TZ)
    assert caught.value.key == key


def test_rules_accept_a_good_booking(seeded) -> None:
    covered = svc.check_rules(seeded["coworking"], at(MONDAY, 9), 180, now=NOW, tz=TZ)
    assert covered == [at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 11)]
    last_day = MONDAY + timedelta(days=14)  # the window's last day (a Monday)
    assert svc.check_rules(seeded["coworking"], at(last_day, 17), 60, now=NOW, tz=TZ) == [at(last_day, 17)]


async def test_capacity_is_exact_and_one_place_per_person(db, seeded) -> None:
    cow = seeded["coworking"]
    users = await make_users(db, 7)
    for user in users[:6]:
        await book(db, cow, user, at(MONDAY, 10), 120)
    with pytest.raises(svc.SlotTaken):
        await book(db, cow, users[6], at(MONDAY, 11), 60)
    # the 9:00 slot is free, but the person who holds 10:00 cannot take a second place there
    with pytest.raises(Conflict) as caught:
        await book(db, cow, users[0], at(MONDAY, 9), 120)
    assert caught.value.key == "booking.err_already_yours"
    async with db.session() as s:
        slots = await svc.slots_of_day(s, cow, MONDAY, tz=TZ, now=NOW, user_id=users[6].id)
        by_hour = {slot.start.astimezone(TZ).hour: slot.left for slot in slots}
        assert by_hour[9] == 6 and by_hour[10] == 0 and by_hour[11] == 0 and by_hour[12] == 6
        assert [s.start for s in svc.start_options(cow, slots)][:2] == [at(MONDAY, 9), at(MONDAY, 12)]
        places = sorted(
            await s.scalars(select(BookingSlot.place).where(BookingSlot.slot_start == at(MONDAY, 10)))
        )
        assert places == [1, 2, 3, 4, 5, 6]


async def test_duration_options_stop_at_the_next_booking_and_the_quota(db, seeded) -> None:
    room = seeded["meeting_room"]
    [first, second] = await make_users(db, 2)
    await book(db, room, first, at(MONDAY, 11), 60)
    async with db.session() as s:
        slots = await svc.slots_of_day(s, room, MONDAY, tz=TZ, now=NOW, user_id=second.id)
        assert svc.duration_options(room, slots, at(MONDAY, 10)) == [30, 60]
        assert svc.duration_options(room, slots, at(MONDAY, 12)) == [30, 60, 90, 120, 150, 180]
        assert svc.duration_options(room, slots, at(MONDAY, 12), limit=60) == [30, 60]
        assert svc.duration_options(room, slots, at(MONDAY, 11)) == []


async def test_weekly_quota_per_person(db, seeded) -> None:
    cow = seeded["coworking"]  # 20 h a week
    [user] = await make_users(db, 1)
    await book(db, cow, user, at(MONDAY, 9), 480)
    await book(db, cow, user, at(MONDAY + timedelta(days=1), 9), 480)
    with pytest.raises(NotAllowed) as caught:
        await book(db, cow, user, at(MONDAY + timedelta(days=2), 9), 480)
    assert caught.value.key == "booking.err_quota" and caught.value.values["left_min"] == 240
    await book(db, cow, user, at(MONDAY + timedelta(days=2), 9), 240)
    # the next week is a fresh quota
    await book(db, cow, user, at(MONDAY + timedelta(days=7), 9), 480)
    async with db.session() as s:
        left = await svc.quota_left(s, cow, user, MONDAY, tz=TZ)
        assert (left.minutes, left.used, left.limit) == (0, 1200, 1200)


async def test_weekly_quota_per_organisation(db, seeded) -> None:
    room = seeded["meeting_room"]  # 6 h a person, 10 h an organisation
    a, b = await make_users(db, 2, organisation="АНО «Добро»")
    [c] = await make_users(db, 1, organisation="  ано «добро» ", start=10)
    await book(db, room, a, at(MONDAY, 9), 180)
    await book(db, room, a, at(MONDAY + timedelta(days=1), 9), 180)
    await book(db, room, b, at(MONDAY + timedelta(days=2), 9), 180)
    with pytest.raises(NotAllowed) as caught:
        await book(db, room, c, at(MONDAY + timedelta(days=3), 9), 180)
    assert caught.value.key == "booking.err_quota_org" and caught.value.values["left_min"] == 60
    await book(db, room, c, at(MONDAY + timedelta(days=3), 9), 60)


async def test_cancel_frees_the_place_at_once_and_only_for_the_owner(db, seeded) -> None:
    room = seeded["meeting_room"]
    owner, other = await make_users(db, 2)
    booking = await book(db, room, owner, at(MONDAY, 14), 60)
    async with db.session() as s:
        reminder = await s.scalar(select(Notification).where(Notification.ref_id == booking.id))
        assert reminder is not None and reminder.kind == "booking.reminder"
        assert reminder.status == NotificationStatus.PENDING
        reminder_id = reminder.id
        with pytest.raises(NotFound):
            await svc.cancel_own(s, booking.id, other.id, now=NOW)
        with pytest.raises(svc.SlotTaken):
            await svc.create_booking(
                s, resource_id=room.id, user=other, start=at(MONDAY, 14), minutes=60, tz=TZ, now=NOW
            )
        # cut-off: 2 hours before 14:00
        with pytest.raises(NotAllowed) as caught:
            await svc.cancel_own(s, booking.id, owner.id, now=at(MONDAY, 12, 30))
        assert caught.value.key == "booking.err_cutoff"
        changed = await svc.cancel_own(s, booking.id, owner.id, now=NOW)
        assert changed.booking.status == BookingStatus.CANCELLED
        with pytest.raises(Conflict):  # a second press changes nothing
            await svc.cancel_own(s, booking.id, owner.id, now=NOW)
    async with db.session() as s:
        assert (await s.get(Notification, reminder_id)).status == NotificationStatus.CANCELLED
        assert await s.scalar(select(func.count()).select_from(BookingSlot)) == 0
    await book(db, room, other, at(MONDAY, 14), 60)


async def test_approval_holds_the_time_then_confirms_or_frees_it(db, seeded) -> None:
    expo = seeded["expo_hall"]
    a, b, c = await make_users(db, 3)
    tuesday = MONDAY + timedelta(days=1)
    request = await book(db, expo, a, at(tuesday, 10), 120)
    assert request.status == BookingStatus.PENDING
    with pytest.raises(svc.SlotTaken):
        await book(db, expo, b, at(tuesday, 11), 60)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 0  # no reminder yet
        with pytest.raises(ValidationFailed):
            await svc.decide(s, request.id, 1, approve=False, reason="  ", tz=TZ)
        changed = await svc.decide(s, request.id, 1, approve=True, tz=TZ)
        assert changed.booking.status == BookingStatus.CONFIRMED and changed.user.id == a.id
        assert await s.scalar(select(func.count()).select_from(Notification)) == 1
        with pytest.raises(Conflict):
            await svc.decide(s, request.id, 1, approve=False, reason="поздно", tz=TZ)
    second = await book(db, expo, b, at(tuesday, 14), 60)
    async with db.session() as s:
        changed = await svc.decide(s, second.id, 1, approve=False, reason="Зал на ремонте", tz=TZ)
        assert changed.booking.status == BookingStatus.REJECTED and changed.booking.reason == "Зал на ремонте"
    await book(db, expo, c, at(tuesday, 14), 60)  # the rejected time is free again


async def test_long_booking_of_the_trial_office(db, seeded) -> None:
    a, b = await make_users(db, 2)
    async with db.session() as s:
        booking = await svc.create_long_booking(
            s, "trial_office", a.id, MONDAY + timedelta(days=3), MONDAY + timedelta(days=10), "Пекарня", tz=TZ
        )
        # Thu, Fri, (weekend closed), Mon..Thu: 6 open days of 9 hours
        assert booking.is_long and booking.status == BookingStatus.CONFIRMED and booking.minutes == 6 * 540
        assert booking.start_at == at(MONDAY + timedelta(days=3), 9)
        assert booking.end_at == at(MONDAY + timedelta(days=10), 18)
        with pytest.raises(svc.SlotTaken):
            await svc.create_long_booking(
                s, "trial_office", b.id, MONDAY + timedelta(days=10), MONDAY + timedelta(days=12)
            )
        with pytest.raises(ValidationFailed):
            await svc.create_long_booking(
                s, "trial_office", b.id, MONDAY + timedelta(days=5), MONDAY + timedelta(days=6)
            )
        with pytest.raises(ValidationFailed):
            await svc.create_long_booking(s, "trial_office", b.id, MONDAY, MONDAY - timedelta(days=1))
        later = await svc.create_long_booking(
            s, "trial_office", b.id, MONDAY + timedelta(days=11), MONDAY + timedelta(days=11)
        )
        assert later.minutes == 540
        days = await svc.bookable_days(s, seeded["trial_office"], tz=TZ, now=NOW)
        assert MONDAY + timedelta(days=3) not in days and MONDAY + timedelta(days=2) in days


async def test_staff_book_for_a_guest_without_reminder(db, seeded) -> None:
    cow = seeded["coworking"]
    async with db.session() as s:
        with pytest.raises(ValidationFailed):
            await svc.create_guest_booking(
                s, resource_id=cow.id, staff_tg_id=5001, guest_name="Мария", guest_phone="abc",
                start=at(MONDAY, 9), minutes=60, tz=TZ, now=NOW,
            )  # fmt: skip
        # within the meeting room's notice (1 h), which binds residents but not staff
        booking = await svc.create_guest_booking(
            s, resource_id=seeded["meeting_room"].id, staff_tg_id=5001, guest_name="Мария Ивановна",
            guest_phone="8 913 000-11-22", start=at(MONDAY, 9), minutes=60, tz=TZ, now=at(MONDAY, 8, 45),
        )  # fmt: skip
    assert booking.user_id is None and booking.guest_phone == "+79130001122"
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 0


async def test_no_show_only_after_the_start(db, seeded) -> None:
    cow = seeded["coworking"]
    [user] = await make_users(db, 1)
    booking = await book(db, cow, user, at(MONDAY, 9), 60)
    async with db.session() as s:
        with pytest.raises(NotAllowed):
            await svc.mark_no_show(s, booking.id, 5001, now=NOW)
        changed = await svc.mark_no_show(s, booking.id, 5001, now=at(MONDAY, 9, 30))
        assert changed.booking.status == BookingStatus.NO_SHOW
        figures = await svc.figures(s, at(MONDAY, 0), at(MONDAY, 23))
        assert figures["coworking"] == {"bookings": 1, "hours": 1, "no_show": 1, "cancelled": 0}


async def test_resource_settings_are_validated(db, seeded) -> None:
    cow = seeded["coworking"]
    async with db.session() as s:
        with pytest.raises(ValidationFailed):
            await svc.update_resource(s, cow.id, 1, "capacity", 0)
        with pytest.raises(ValidationFailed):
            await svc.update_resource(s, cow.id, 1, "slot_minutes", 45)  # min 60 is no multiple of 45
        with pytest.raises(ValidationFailed):
            await svc.update_resource(s, cow.id, 1, "hours", {"1": ["18:00", "09:00"]})
        changed = await svc.update_resource(s, cow.id, 1, "closed_dates", [MONDAY.isoformat()])
        assert changed.closed_dates == [MONDAY.isoformat()]
        assert MONDAY not in await svc.bookable_days(s, changed, tz=TZ, now=NOW)


async def test_privacy_export_and_erase(db, seeded) -> None:
    from services import privacy

    [user] = await make_users(db, 1)
    async with db.session() as s:
        await svc.create_booking(
            s, resource_id=seeded["coworking"].id, user=user, start=at(MONDAY, 9), minutes=60,
            purpose="Пишу <грант>", tz=TZ, now=NOW,
        )  # fmt: skip
        data = await privacy.export(s, user)
        assert data["bookings"][0]["purpose"] == "Пишу <грант>"
        await svc.erase_bookings(s, user)
        await s.commit()
        assert (await s.scalar(select(Booking))).purpose is None


def test_reminder_buttons_match_the_keyboard() -> None:
    assert svc.COMING_CALLBACK.format(id=42) == BookingAction(a="come", id=42).pack()
    assert svc.CANCEL_CALLBACK.format(id=42) == BookingAction(a="cancel", id=42).pack()


def test_ics_has_one_event() -> None:
    start = at(MONDAY, 9)
    data = ics.event_ics(
        uid="booking-1@test",
        start=start,
        end=start + timedelta(hours=2),
        summary="Коворкинг; место",
        location="с. Краснотуранск, ул. Ленина, 22А",
        description="Встреча",
        alarm_minutes=60,
    )
    calendar = Calendar.from_ical(data)
    [event] = list(calendar.walk("VEVENT"))
    assert str(event["uid"]) == "booking-1@test"
    assert event.decoded("dtstart") == start and event.decoded("dtend") == start + timedelta(hours=2)
    assert str(event["summary"]) == "Коворкинг; место" and "Ленина" in str(event["location"])
    assert len(list(calendar.walk("VALARM"))) == 1
    with pytest.raises(ValueError):
        ics.event_ics(uid="x", start=start.replace(tzinfo=None), end=start, summary="x")
    assert ics.filename("booking", 7) == "booking-7.ics"


async def test_weekly_digest_lists_the_coming_bookings(db, seeded) -> None:
    from services import digest

    assert ("bookings", svc.digest_bookings) in digest.SOURCES
    [user] = await make_users(db, 1)
    await book(db, seeded["coworking"], user, at(MONDAY, 9), 120)
    cancelled = await book(db, seeded["meeting_room"], user, at(MONDAY, 15), 60)
    async with db.session() as s:
        await svc.cancel_own(s, cancelled.id, user.id, now=NOW)
        found = await svc.digest_bookings(s, [user], NOW, NOW + timedelta(days=7))
        i18n = create_i18n()
        with i18n.context(), i18n.use_locale("ru"):
            lines = [i.line(TZ, i18n.gettext, NOW) for i in found[user.id]]
        assert lines == ["Коворкинг: пн, 7 января, 09:00–11:00"]
        assert await svc.digest_bookings(s, [user], NOW + timedelta(days=1), NOW + timedelta(days=8)) == {}


async def test_start_up_seeds_the_resources(db, settings) -> None:
    from handlers.booking import seed_resources

    await seed_resources(db, settings)
    await seed_resources(db, settings)
    async with db.session() as s:
        assert [r.code for r in await svc.resources(s)] == [spec["code"] for spec in svc.DEFAULT_RESOURCES]


async def test_figures_count_by_status(db, seeded) -> None:
    a, b = await make_users(db, 2)
    kept = await book(db, seeded["coworking"], a, at(MONDAY, 9), 180)
    dropped = await book(db, seeded["coworking"], b, at(MONDAY, 9), 60)
    async with db.session() as s:
        await svc.cancel_own(s, dropped.id, b.id, now=NOW)
        figures = await svc.figures(s, at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))
    assert kept.minutes == 180
    assert figures == {"coworking": {"bookings": 1, "hours": 3, "no_show": 0, "cancelled": 1}}


async def test_one_request_waiting_for_approval_per_person_and_resource(db, seeded) -> None:
    """Limits against flooding the staff (#14): a second EXPO hall request while one waits is refused."""
    expo = seeded["expo_hall"]
    (a,) = await make_users(db, 1, start=40)
    tuesday = MONDAY + timedelta(days=1)
    first = await book(db, expo, a, at(tuesday, 10), 60)
    assert first.status == BookingStatus.PENDING
    with pytest.raises(Conflict) as refused:
        await book(db, expo, a, at(tuesday, 14), 60)
    assert refused.value.key == "booking.err_pending_limit"
    await book(db, seeded["coworking"], a, at(tuesday, 14), 60)  # no approval there: no such limit
    async with db.session() as s:
        await svc.decide(s, first.id, 1, approve=True, tz=TZ)
    assert (await book(db, expo, a, at(tuesday, 16), 60)).status == BookingStatus.PENDING
