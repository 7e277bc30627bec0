"""services.events: capacity, the wait-list and its offers, deadlines, check-in, feedback (fast, no bot)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db.engine import Database, write
from db.models import Event, EventSignup, Notification, NotificationStatus, SignupStatus, User, UserStatus
from services import digest, privacy
from services import events as ev
from services.errors import Conflict, NotAllowed, ValidationFailed
from tests.conftest import local
from tests.factories import event_draft, published_event

NOW = local(2026, 12, 1, 10, 0).astimezone(UTC)  # services get this ``now``; the clock starts there too
STAFF = 5001
pytestmark = pytest.mark.at(NOW)


async def add_people(db: Database, count: int, start: int = 1, **fields: Any) -> list[User]:
    async with db.session() as s, write(s):
        people = [
            User(
                tg_id=100_000 + start + n,
                status=UserStatus.REGISTERED,
                full_name=f"Участник {start + n}",
                target_group=fields.get("target_group", "citizen"),
                district=fields.get("district", "krasnoturansky"),
                news_opt_in=fields.get("news_opt_in", True),
            )
            for n in range(count)
        ]
        s.add_all(people)
    return people


def draft(capacity: int | None = 2, **overrides: Any) -> ev.Draft:
    return event_draft(now=NOW, capacity=capacity, **overrides)


async def published(db: Database, capacity: int | None = 2, **overrides: Any) -> Event:
    return await published_event(db, by=STAFF, now=NOW, capacity=capacity, **overrides)


async def status_of(db: Database, event_id: int) -> dict[int, str]:
    async with db.session() as s:
        rows = await s.execute(
            select(EventSignup.user_id, EventSignup.status).where(EventSignup.event_id == event_id)
        )
        return {user_id: status for user_id, status in rows}


async def holding(db: Database, event_id: int) -> int:
    async with db.session() as s:
        return await ev.holding_count(s, event_id)


async def notices(db: Database, kind: str, user_id: int | None = None) -> list[Notification]:
    async with db.session() as s:
        query = select(Notification).where(Notification.kind == kind)
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        return list(await s.scalars(query.order_by(Notification.id)))


async def sign_up(db: Database, user: User, event_id: int, **kwargs: Any) -> ev.SignupResult:
    async with db.session() as s:
        return await ev.sign_up(s, user, event_id, now=kwargs.pop("now", NOW), **kwargs)


async def invariant(db: Database, event: Event) -> None:
    """Held places never exceed capacity; nobody waits while a place is free."""
    async with db.session() as s:
        counts = await ev.counts(s, event.id)
        fresh = await ev.get_event(s, event.id)
    assert fresh is not None
    held = counts.get("confirmed", 0) + counts.get("offered", 0)
    if fresh.capacity is not None:
        assert held <= fresh.capacity, counts
        assert held == fresh.capacity or counts.get("waiting", 0) == 0, counts


async def test_capacity_and_waitlist_order(db: Database) -> None:
    a, b, c, d = await add_people(db, 4)
    event = await published(db, capacity=2)
    assert (await sign_up(db, a, event.id)).status == "confirmed"
    assert (await sign_up(db, b, event.id)).status == "confirmed"
    with pytest.raises(ev.EventFull):
        await sign_up(db, c, event.id)
    assert (await sign_up(db, c, event.id, waitlist=True)).position == 1
    assert (await sign_up(db, d, event.id, waitlist=True, now=NOW + timedelta(minutes=1))).position == 2
    with pytest.raises(Conflict):
        await sign_up(db, c, event.id, waitlist=True)
    # reminders a day and two hours before for the confirmed
    rows = await notices(db, ev.N_REMINDER, a.id)
    assert sorted(r.key.rsplit(":", 1)[-1] for r in rows) == ["1d", "2h"]
    assert {r.due_at for r in rows} == {
        event.starts_at - timedelta(days=1),
        event.starts_at - timedelta(hours=2),
    }

    async with db.session() as s:
        await ev.cancel_signup(s, a, event.id, now=NOW + timedelta(hours=1))
    statuses = await status_of(db, event.id)
    assert statuses[a.id] == "cancelled" and statuses[c.id] == "offered" and statuses[d.id] == "waiting"
    assert all(r.status == NotificationStatus.CANCELLED for r in await notices(db, ev.N_REMINDER, a.id))
    [offer] = await notices(db, ev.N_OFFER, c.id)
    assert offer.expires_at == NOW + timedelta(hours=13)
    assert offer.payload["buttons"][0][0][1] == f"ev:oy:{event.id}:0"
    await invariant(db, event)

    # the offer expires: it passes to the next in line, the first is told
    class S:
        tz = ev.display_tz()
        event_offer_hours = 12

    assert await ev.process_expired_offers(None, db, None, S(), now=NOW + timedelta(hours=14)) == 1
    statuses = await status_of(db, event.id)
    assert statuses[c.id] == "expired" and statuses[d.id] == "offered"
    assert await notices(db, ev.N_OFFER_EXPIRED, c.id)
    async with db.session() as s:
        with pytest.raises(Conflict):
            await ev.confirm_offer(s, c, event.id, now=NOW + timedelta(hours=14))
        await ev.confirm_offer(s, d, event.id, now=NOW + timedelta(hours=15))
    assert (await status_of(db, event.id))[d.id] == "confirmed"
    assert await notices(db, ev.N_REMINDER, d.id)
    await invariant(db, event)


async def one_place_two_waiting(db: Database) -> tuple[Event, User, User, User]:
    """One place: a holds it, b and then c wait. Returns the event, a, b and c."""
    a, b, c = await add_people(db, 3)
    event = await published(db, capacity=1)
    await sign_up(db, a, event.id)
    await sign_up(db, b, event.id, waitlist=True)
    await sign_up(db, c, event.id, waitlist=True, now=NOW + timedelta(seconds=1))
    return event, a, b, c


async def offered_to_the_first_waiting(db: Database) -> tuple[Event, User, User]:
    """As one_place_two_waiting, and a cancels at NOW, so the place is offered to b.
    Returns the event, b and c."""
    event, a, b, c = await one_place_two_waiting(db)
    async with db.session() as s:
        await ev.cancel_signup(s, a, event.id, now=NOW)
    return event, b, c


async def test_late_confirm_of_an_overdue_offer_is_refused_and_passed_on(db: Database) -> None:
    event, b, c = await offered_to_the_first_waiting(db)
    async with db.session() as s:  # the job has not run; the person presses too late
        with pytest.raises(Conflict) as caught:
            await ev.confirm_offer(s, b, event.id, now=NOW + timedelta(hours=12, seconds=1))
    assert caught.value.key == "events.err_offer_expired"
    statuses = await status_of(db, event.id)
    assert statuses[b.id] == "expired" and statuses[c.id] == "offered"


async def test_decline_offer_passes_it_on(db: Database) -> None:
    event, b, c = await offered_to_the_first_waiting(db)
    async with db.session() as s:
        await ev.decline_offer(s, b, event.id, now=NOW)
    statuses = await status_of(db, event.id)
    assert statuses[b.id] == "declined" and statuses[c.id] == "offered"


async def test_refusals_with_reasons(db: Database) -> None:
    (a,) = await add_people(db, 1)
    event = await published(db, reg_deadline=NOW + timedelta(days=1))
    with pytest.raises(NotAllowed) as caught:
        await sign_up(db, a, event.id, now=NOW + timedelta(days=2))
    assert caught.value.key == "events.err_deadline" and caught.value.values["deadline"] == event.reg_deadline
    await sign_up(db, a, event.id)
    with pytest.raises(Conflict):
        await sign_up(db, a, event.id)
    async with db.session() as s:
        _event, told = await ev.cancel_event(s, STAFF, event.id, now=NOW)
    assert told == 1
    [notice] = await notices(db, ev.N_CANCELLED, a.id)
    assert notice.payload["text"] == "events.n_cancelled"
    assert all(r.status == NotificationStatus.CANCELLED for r in await notices(db, ev.N_REMINDER, a.id))
    (b,) = await add_people(db, 1, start=50)
    with pytest.raises(NotAllowed) as caught:
        await sign_up(db, b, event.id)
    assert caught.value.key == "events.err_cancelled"
    # a draft is not open
    async with db.session() as s:
        hidden = await ev.create_event(s, STAFF, draft(), now=NOW)
    with pytest.raises(Exception) as caught:
        await sign_up(db, b, hidden.id)
    assert caught.value.key == "events.err_not_found"  # type: ignore[attr-defined]


async def test_capacity_change_fills_or_refuses(db: Database) -> None:
    event, a, b, c = await one_place_two_waiting(db)
    async with db.session() as s:
        await ev.update_event(s, STAFF, event.id, draft(capacity=2), now=NOW)
    assert (await status_of(db, event.id))[b.id] == "offered"
    async with db.session() as s:
        with pytest.raises(ValidationFailed):
            await ev.update_event(s, STAFF, event.id, draft(capacity=1), now=NOW)
        await ev.update_event(s, STAFF, event.id, draft(capacity=None), now=NOW)
    assert (await status_of(db, event.id))[c.id] == "confirmed"
    assert await notices(db, ev.N_PROMOTED, c.id)
    # moving the start tells everyone and moves the reminders
    later = draft(capacity=None, starts_at=NOW + timedelta(days=4), ends_at=NOW + timedelta(days=4, hours=2))
    async with db.session() as s:
        result = await ev.update_event(s, STAFF, event.id, later, now=NOW)
    assert result.told == 3 and "starts_at" in result.changed
    reminders = [r for r in await notices(db, ev.N_REMINDER, a.id) if r.status == NotificationStatus.PENDING]
    assert {r.due_at for r in reminders} == {
        later.starts_at - timedelta(days=1),
        later.starts_at - timedelta(hours=2),
    }


async def test_checkin_and_feedback(db: Database) -> None:
    a, b, c = await add_people(db, 3)
    event = await published(db, capacity=2)
    await sign_up(db, a, event.id)
    at_door = event.starts_at - timedelta(minutes=10)
    async with db.session() as s:
        with pytest.raises(ValidationFailed):
            await ev.self_checkin(s, a, event.id, "WRONG1", now=at_door)
        with pytest.raises(NotAllowed):
            await ev.self_checkin(s, a, event.id, event.checkin_code, now=NOW)
        result = await ev.self_checkin(s, a, event.id, event.checkin_code.lower(), now=at_door)
        assert not result.walk_in and not result.already
        assert (await ev.self_checkin(s, a, event.id, event.checkin_code, now=at_door)).already
        walk_in = await ev.self_checkin(s, b, event.id, event.checkin_code, now=at_door)
        assert walk_in.walk_in
        with pytest.raises(ev.EventFull):
            await ev.self_checkin(s, c, event.id, event.checkin_code, now=at_door)
    [feedback] = await notices(db, ev.N_FEEDBACK, a.id)
    assert feedback.due_at == event.ends_at and len(feedback.payload["buttons"][0]) == 5
    async with db.session() as s:
        with pytest.raises(NotAllowed):
            await ev.rate(s, c, event.id, 5, now=event.ends_at)
        await ev.rate(s, a, event.id, 4, now=event.ends_at)
        await ev.comment(s, a, event.id, "  Очень полезно <b>спасибо</b>  ")
        with pytest.raises(ValidationFailed):
            await ev.comment(s, a, event.id, "x" * 1001)
    async with db.session() as s:
        signup = await ev.signup_of(s, a.id, event.id)
        assert signup is not None and signup.rating == 4 and signup.comment == "Очень полезно <b>спасибо</b>"
        figures = await ev.figures(s, NOW, NOW + timedelta(days=30))
    assert (figures.events_held, figures.signups, figures.attended, figures.average_rating) == (1, 2, 2, 4.0)
    # staff toggle: off cancels the feedback question, on queues it again
    async with db.session() as s:
        signup = await ev.signup_of(s, b.id, event.id)
        assert signup is not None
        off = await ev.toggle_checkin(s, STAFF, event.id, signup.id, now=at_door)
        assert off.checked_in_at is None
    assert [r.status for r in await notices(db, ev.N_FEEDBACK, b.id)] == [NotificationStatus.CANCELLED]
    # privacy: exported, and the comment goes with the identity
    async with db.session() as s:
        fresh = await s.get(User, a.id)
        assert fresh is not None
        data = await privacy.export(s, fresh)
    assert data["event_signups"][0]["rating"] == 4
    async with db.session() as s:
        await privacy.erase(s, a.tg_id, "1.0")  # type: ignore[arg-type]
        signup = await ev.signup_of(s, a.id, event.id)
    assert signup is not None and signup.comment is None and signup.rating == 4


async def test_announce_matches_interests_and_digest(db: Database) -> None:
    near = await add_people(db, 2, start=1, district="krasnoturansky")
    far = await add_people(db, 1, start=10, district="shushensky")
    await add_people(db, 1, start=20, news_opt_in=False)
    nko = await add_people(db, 1, start=30, target_group="nko_staff")
    async with db.session() as s:
        event = await ev.create_event(s, STAFF, draft(audience=["citizen"]), now=NOW)
        _e, announced = await ev.publish(s, STAFF, event.id, announce=True, now=NOW)
    assert announced == 2
    assert {r.user_id for r in await notices(db, ev.N_ANNOUNCE)} == {p.id for p in near}
    assert all(r.quiet for r in await notices(db, ev.N_ANNOUNCE))
    names = [name for name, _source in digest.SOURCES]
    assert "events" in names and "my_signups" in names
    async with db.session() as s:
        found = await ev.digest_events(s, [near[0], far[0], nko[0]], NOW, NOW + timedelta(days=14))
    items = found[near[0].id]
    assert len(items) == 1 and items[0].button == ("events.btn_signup", f"ev:su:{event.id}:0")
    assert far[0].id not in found and nko[0].id not in found
    await sign_up(db, near[0], event.id)
    async with db.session() as s:
        assert await ev.digest_events(s, [near[0]], NOW, NOW + timedelta(days=14)) == {}
        mine = await ev.digest_my_signups(s, [near[0], far[0]], NOW, NOW + timedelta(days=14))
    assert len(mine[near[0].id]) == 1 and "Школа НКО" in mine[near[0].id][0].text
    assert far[0].id not in mine
    async with db.session() as s:  # announcing again skips those already signed up
        _e, again = await ev.publish(s, STAFF, event.id, announce=True, now=NOW)
    assert again == 1


def test_parsing() -> None:
    tz = ev.display_tz()
    start = ev.parse_local("25.12.2026 14:00", NOW, tz)
    assert start == datetime(2026, 12, 25, 7, 0, tzinfo=UTC)
    assert ev.parse_local("5.1 9:30", NOW, tz).year == 2027  # already past this year -> next year
    assert ev.parse_end("16:30", start, tz) == datetime(2026, 12, 25, 9, 30, tzinfo=UTC)
    for bad in ("завтра", "32.12.2026 10:00", "10.10.2026 25:00", ""):
        with pytest.raises(ValidationFailed):
            ev.parse_local(bad, NOW, tz)
    with pytest.raises(ValidationFailed):
        ev.parse_end("13:00", start, tz)
    with pytest.raises(ValidationFailed):
        ev.clean_place("online", "meet.example.org")
    assert ev.clean_place("online", "https://meet.example.org/x") == "https://meet.example.org/x"
    assert ev.clean_capacity(" 12 ") == 12
    with pytest.raises(ValidationFailed):
        ev.clean_capacity("0")


async def test_last_place_race_service_level(db: Database) -> None:
    """50 people take the last place at once, each on a session of their own: exactly one gets it."""
    people = await add_people(db, 50)
    (first,) = await add_people(db, 1, start=500)
    event = await published(db, capacity=2)
    await sign_up(db, first, event.id)

    async def attempt(user: User) -> str:
        async with db.session() as s:
            try:
                return (await ev.sign_up(s, user, event.id, now=NOW)).status
            except ev.EventFull:
                return "full"

    results = await asyncio.gather(*(attempt(p) for p in people))
    assert results.count("confirmed") == 1 and results.count("full") == 49
    assert await holding(db, event.id) == 2


async def _run(db: Database, coro_factory: Any) -> Any:
    async with db.session() as s:
        try:
            return await coro_factory(s)
        except (Conflict, NotAllowed) as exc:
            return exc.key


async def test_offer_and_cancellation_cross(db: Database) -> None:
    """An offered person confirms while a confirmed one cancels, another declines and the expiry job
    runs, all at once: capacity holds and the wait-list is served in order."""
    for round_ in range(5):
        people = await add_people(db, 6, start=1000 + round_ * 10)
        event = await published(db, capacity=2)
        a, b, c, d, e, f = people
        await sign_up(db, a, event.id)
        await sign_up(db, b, event.id)
        for n, person in enumerate((c, d, e, f)):
            await sign_up(db, person, event.id, waitlist=True, now=NOW + timedelta(seconds=n))
        async with db.session() as s:
            await ev.cancel_signup(s, a, event.id, now=NOW)  # c is offered
        moment = NOW + timedelta(hours=12) if round_ % 2 else NOW + timedelta(hours=1)

        await asyncio.gather(
            _run(db, lambda s, u=c, e=event.id, m=moment: ev.confirm_offer(s, u, e, now=m)),
            _run(db, lambda s, u=b, e=event.id, m=moment: ev.cancel_signup(s, u, e, now=m)),
            _run(db, lambda s, m=moment: ev.expire_offers(s, now=m)),
            _run(db, lambda s, u=f, e=event.id, m=moment: ev.sign_up(s, u, e, waitlist=True, now=m)),
        )
        await invariant(db, event)
        statuses = await status_of(db, event.id)
        if round_ % 2:  # c's offer had run out: d and e hold the places now
            assert statuses[c.id] == "expired"
            assert statuses[d.id] == "offered" and statuses[e.id] == "offered"
        else:
            assert statuses[c.id] == "confirmed" and statuses[d.id] == "offered"
            assert statuses[e.id] == "waiting"
        async with db.session() as s:
            total = await s.scalar(
                select(func.count()).select_from(EventSignup).where(EventSignup.event_id == event.id)
            )
        assert total == 6


async def test_unique_signup_per_person(db: Database) -> None:
    (a,) = await add_people(db, 1)
    event = await published(db, capacity=None)

    async def attempt() -> str:
        async with db.session() as s:
            try:
                return (await ev.sign_up(s, a, event.id, now=NOW)).status
            except Conflict:
                return "conflict"

    results = await asyncio.gather(*(attempt() for _ in range(5)))
    assert results.count("confirmed") == 1
    assert (await status_of(db, event.id)) == {a.id: SignupStatus.CONFIRMED}


async def test_erasure_and_unreachable_people_free_places(db: Database) -> None:
    a, b, c, d = await add_people(db, 4)
    event = await published(db, capacity=1)
    await sign_up(db, a, event.id)
    for n, person in enumerate((b, c, d)):
        await sign_up(db, person, event.id, waitlist=True, now=NOW + timedelta(seconds=n))
    async with db.session() as s, write(s):
        blocked = await s.get(User, b.id)
        assert blocked is not None
        blocked.unreachable_at = NOW  # b blocked the bot: an offer would never reach them
    async with db.session() as s:
        await privacy.erase(s, a.tg_id, "1.0")  # type: ignore[arg-type]
    statuses = await status_of(db, event.id)
    assert statuses == {a.id: "cancelled", b.id: "expired", c.id: "offered", d.id: "waiting"}
    await invariant(db, event)


async def test_online_link_only_for_participants(db: Database) -> None:
    a, _b = await add_people(db, 2)
    async with db.session() as s:
        event = await ev.create_event(
            s, STAFF, draft(place_kind="online", place="https://meet.example.org/x", district=None), now=NOW
        )
        await ev.publish(s, STAFF, event.id, announce=True, now=NOW)
    [announce, _other] = await notices(db, ev.N_ANNOUNCE)
    assert announce.payload["params"]["place"] == {"t": "events.place_online_short"}
    await sign_up(db, a, event.id)
    reminders = await notices(db, ev.N_REMINDER, a.id)
    assert reminders and all(r.payload["params"]["place"] == "https://meet.example.org/x" for r in reminders)
