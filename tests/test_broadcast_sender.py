"""The pacing pieces of the broadcast sender, with a fake clock; random input into the staff dialog."""

from __future__ import annotations

import os
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.broadcasts import (
    TELEGRAM_LIMIT,
    BroadcastSender,
    ChatSpacing,
    TokenBucket,
    _dead_local_owner,
    burst_for,
)
from tests.client import TgClient
from tests.fuzz import examples


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def take(bucket: TokenBucket, clock: FakeClock, n: int, gaps: list[float] | None = None) -> list[float]:
    moments = []
    for i in range(n):
        if gaps:
            clock.now += gaps[i % len(gaps)]
        await bucket.acquire()
        moments.append(clock.now)
    return moments


def most_in_one_second(moments: list[float]) -> int:
    best, start = 0, 0
    for end in range(len(moments)):
        while moments[end] - moments[start] >= 1.0 - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


@given(
    rate=st.floats(min_value=1.0, max_value=30.0),
    gaps=st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=20),
)
@examples(60)
async def test_bucket_never_exceeds_telegram_limit(rate: float, gaps: list[float]) -> None:
    """Whatever the rate (up to 30) and however the senders arrive, no second holds more than 30
    sends, nor more than the rate plus the small burst."""
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock, sleep=clock.sleep)
    moments = await take(bucket, clock, 150, gaps)
    assert most_in_one_second(moments) <= min(TELEGRAM_LIMIT, rate + burst_for(rate)) + 1e-9
    assert burst_for(rate) + rate <= TELEGRAM_LIMIT or burst_for(rate) == 1


@pytest.mark.parametrize("rate", [1.0, 10.0, 25.0, 30.0])
async def test_bucket_keeps_the_configured_rate(rate: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock, sleep=clock.sleep)
    moments = await take(bucket, clock, 500)
    achieved = (len(moments) - bucket.capacity) / (moments[-1] - moments[0])
    assert achieved == pytest.approx(rate, rel=0.01)


def test_rate_is_capped_at_telegram_limit(bot, db, settings, dp) -> None:
    sender = BroadcastSender.from_settings(bot, db, settings, dp["i18n"], rate=500.0)
    assert sender.rate == TELEGRAM_LIMIT
    assert sender.bucket.capacity + sender.bucket.rate <= TELEGRAM_LIMIT + 1


def test_settings_refuse_a_rate_above_30(database_url) -> None:
    from pydantic import ValidationError

    from tests.conftest import make_settings

    with pytest.raises(ValidationError):
        make_settings(database_url, broadcast_rate=31)
    assert make_settings(database_url).broadcast_rate == 25


def test_chat_spacing() -> None:
    clock = FakeClock()
    spacing = ChatSpacing(1.0, clock=clock)
    assert spacing.wait_for(5) == 0
    spacing.sent(5)
    clock.now += 0.3
    assert spacing.wait_for(5) == pytest.approx(0.7)
    assert spacing.wait_for(6) == 0
    clock.now += 0.7
    assert spacing.wait_for(5) == 0


def test_dead_local_owner() -> None:
    me = f"{socket.gethostname()[:20]}:{os.getpid()}:mine"
    assert not _dead_local_owner(None, me)
    assert not _dead_local_owner(me, me)
    assert not _dead_local_owner(f"elsewhere:{os.getpid()}:x", me)  # another host: wait for the lease
    assert not _dead_local_owner(f"{socket.gethostname()[:20]}:{os.getppid()}:x", me)  # alive
    assert _dead_local_owner(f"{socket.gethostname()[:20]}:{os.getpid()}:old", me)  # our previous life


# --- random input into every state of the staff dialog --------------------------------------------

STEPS = {  # where the staff member stands in the form ("bc:<step>")
    "bc:audience": [],
    "bc:audience (a filter's values)": ["Группа"],
    "bc:_preview": ["Далее"],
    "bc:day": ["Далее", "Запланировать"],
    "bc:time": ["Далее", "Запланировать", "Завтра"],
}
texts = st.text(max_size=300).filter(lambda t: not t.lstrip().startswith("/"))
junk_buttons = st.one_of(
    st.text(max_size=64).filter(lambda t: not t.startswith("fm:")),  # a form's real «Назад» is no junk
    st.builds(
        lambda action, ident, value: f"bc:{action}:{ident}:zz{value}",
        st.sampled_from(["f", "set", "src", "ref", "day", "time", "stop", "resume", "cancel", "x"]),
        st.integers(min_value=1000, max_value=10**9),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=20),
    ),
    st.builds(  # a form button of no step the dialog is on, or a choice it never offered
        lambda step, action, value: f"fm:bc:{step}:{action}:zz{value}",
        st.sampled_from(["audience", "_preview", "_fields", "day", "time", "x"]),
        st.sampled_from(["p", "ok", "f", "zz"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", max_size=20),
    ),
)


async def where(staff: TgClient) -> tuple[str | None, dict]:
    """The step (or the schedule's state) and what the dialog holds: its draft, or the state's data."""
    step = await staff.step()
    if step is not None and step.startswith("bc:"):
        return step, await staff.draft()
    return step, await staff.state_data()


def harmless(state: str, text: str) -> str:
    """Random text that is never a valid answer in ``state`` (a valid date or time moves on)."""
    if state in ("bc:day", "bc:time"):
        return "x" + "".join(ch for ch in text if not ch.isdigit())
    return text


@pytest.mark.parametrize("state", list(STEPS))
@examples(12)
@given(text=texts, data=junk_buttons)
async def test_random_input_keeps_the_dialog(state: str, text: str, data: str, staff: TgClient, db) -> None:
    from tests.test_broadcasts import add_people, start_broadcast

    step = state.split(" ")[0]
    if (await staff.step()) != step or ("values" in state) != ("pick" in await staff.draft()):
        await add_people(db, 1)
        await start_broadcast(staff)
        for label in STEPS[state]:
            await staff.press(label)
        assert await staff.step() == step
    before = await where(staff)
    await staff.press_data(data, staff.find_button("Отмена")[0])  # a forged button on the dialog message
    assert await where(staff) == before
    if text.strip():
        await staff.send(harmless(step, text))
    await staff.send_sticker()
    assert await where(staff) == before
