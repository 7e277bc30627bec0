"""Dispatch speed (#19, helper w19c): a stale press answered from memory exactly as the fallback answers
it, and the fast propagation (bot.propagation) taking every update to the same handler as aiogram's."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, Message

from bot.propagation import FastDispatcher, FastRouter, speed_up
from db.engine import Database
from tests.client import TgClient
from tests.conftest import POLICY_CHANGES, REDIS_URL, register


def sqlite_only(db: Database) -> None:
    if not db.is_sqlite or REDIS_URL:
        pytest.skip("the person and consent caches serve SQLite only")


class SessionCount:
    """Counts the database sessions opened (the per-update one included)."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = 0
        real = db.session

        def counting() -> Any:
            self.opened += 1
            return real()

        monkeypatch.setattr(db, "session", counting)


class Watch:
    """An inner middleware: notes the presses that reach a router's handler."""

    def __init__(self) -> None:
        self.hits = 0

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.hits += 1
        return await handler(event, data)


def fallback_of(dp: Dispatcher) -> Router:
    return next(r for r in dp.sub_routers if r.name == "fallback")


async def test_a_stale_press_is_answered_from_memory_as_the_fallback_answers_it(
    dp: Dispatcher, db: Database, client_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_only(db)
    people = [client_factory(2001), client_factory(2002, language_code="en")]
    await register(people[0])  # a resident; the other only looks around (nobody to the database)
    for person in people:
        await person.send("/help")  # the person (or nobody) and their last consent are read once
    sessions = SessionCount(db, monkeypatch)
    early = []
    for person in people:
        await person.press_data("zzz:1")
        early.append([(c.method.text, c.method.show_alert) for c in person.sent("AnswerCallbackQuery")])
    assert sessions.opened == 0, "a stale press opens no database session"

    watch = Watch()  # a middleware on the fallback: the press takes the usual way through it
    fallback_of(dp).callback_query.middleware(watch)
    usual = []
    for person in people:
        await person.press_data("zzz:1")
        usual.append([(c.method.text, c.method.show_alert) for c in person.sent("AnswerCallbackQuery")])
    assert watch.hits == 2 and sessions.opened == 2
    assert early == usual
    i18n = dp["i18n"]
    assert early[0] == [(i18n.gettext("common.stale_button", locale="ru"), True)]
    assert early[0] != early[1], "each in their own language"


async def test_a_stale_press_still_meets_the_consent_gate(after_policy_rise: TgClient, db: Database) -> None:
    sqlite_only(db)
    person = after_policy_rise
    for _ in range(3):  # the first reads the last consent; the next ones find it in memory
        await person.press_data("zzz:1")
        assert POLICY_CHANGES in person.last_text and not person.alerts()
    await person.press("Даю согласие")
    await person.press_data("zzz:1")
    assert person.alerts() == [person.dp["i18n"].gettext("common.stale_button", locale="ru")]


async def test_an_unknown_person_pressing_a_stale_button_is_answered(
    client_factory: Any, db: Database
) -> None:
    stranger = client_factory(2003)
    await stranger.press_data("zzz:1")  # not cached yet: the usual way
    await stranger.press_data("zzz:1")  # cached as nobody: from memory
    assert stranger.alerts()
    await stranger.send("/start")
    assert stranger.last_text


# --- the fast propagation against aiogram's, on a small tree ---------------------------------------


class ACb(CallbackData, prefix="a"):
    n: int


class BCb(CallbackData, prefix="b"):
    n: int


def tree(took: list[str], fast: bool) -> tuple[Dispatcher, Router, list[str]]:
    """first: a (keyed), anything starting "x" (a catch-all), b (keyed); gated: router filter + b only;
    last: a catch-all."""
    dp = Dispatcher(storage=MemoryStorage())
    first, gated, last = Router(name="first"), Router(name="gated"), Router(name="last")
    checked: list[str] = []

    def handler(name: str) -> Any:
        async def handle(query: CallbackQuery) -> None:
            took.append(name)
            await query.answer()

        return handle

    async def gate(query: CallbackQuery) -> bool:
        checked.append(query.data or "")
        return True

    first.callback_query.register(handler("first.a"), ACb.filter(F.n == 1))
    first.callback_query.register(handler("first.x"), F.data.startswith("x"))
    first.callback_query.register(handler("first.b"), BCb.filter(F.n == 1))
    gated.callback_query.filter(gate)
    gated.callback_query.register(handler("gated.b"), BCb.filter())
    gated.callback_query.register(handler("gated.nav"), F.data == "nav:back")
    last.callback_query.register(handler("last.any"))
    dp.include_routers(first, gated, last)
    if fast:
        speed_up(dp)
    return dp, gated, checked


@pytest.mark.parametrize(
    "data", ["a:1", "a:2", "b:1", "b:2", "xyz", "x:1", "nav:back", "nav:other", "zzz:1", ""]
)
async def test_fast_propagation_takes_each_press_to_the_same_handler(bot: Bot, data: str) -> None:
    results = []
    for fast in (False, True):
        took: list[str] = []
        dp, _gated, _checked = tree(took, fast)
        await TgClient(dp, bot, 3001).press_data(data)
        results.append(took)
    assert results[0] == results[1] and len(results[0]) == 1


async def test_a_press_skips_routers_that_cannot_take_it_and_sees_later_handlers(bot: Bot) -> None:
    took: list[str] = []
    dp, gated, checked = tree(took, fast=True)
    assert isinstance(dp, FastDispatcher) and isinstance(gated, FastRouter)
    person = TgClient(dp, bot, 3002)
    await person.press_data("a:2")
    assert took == ["last.any"] and checked == [], "the gated router (b and nav only) was not entered"
    await person.press_data("b:2")
    assert took[-1] == "gated.b" and checked == ["b:2"]

    gated.callback_query.register(lambda query: took.append("gated.a"), ACb.filter())  # added later
    await person.press_data("a:2")
    assert took[-1] == "gated.a"
    late = Router(name="late")
    late.callback_query.register(lambda query: took.append("late.c"), F.data == "c:1")
    gated.include_router(late)
    await person.press_data("c:1")
    assert took[-1] == "late.c"


def talk_tree(took: list[str], checked: list[str]) -> Dispatcher:
    """buttons-only: a router filter on messages, button handlers only; talk: the same filter, "hello"."""

    async def gate(message: Message) -> bool:
        checked.append(message.text or "")
        return True

    async def answer(message: Message) -> None:
        took.append(message.text or "")

    dp = Dispatcher(storage=MemoryStorage())
    buttons_only, talk = Router(name="buttons-only"), Router(name="talk")
    buttons_only.message.filter(gate)
    buttons_only.callback_query.register(answer, ACb.filter())
    talk.message.filter(gate)
    talk.message.register(answer, F.text == "hello")
    dp.include_routers(buttons_only, talk)
    return dp


async def test_a_message_skips_routers_without_message_handlers(bot: Bot) -> None:
    plain: tuple[list[str], list[str]] = ([], [])
    await TgClient(talk_tree(*plain), bot, 3003).send("hello")
    fast: tuple[list[str], list[str]] = ([], [])
    dp = talk_tree(*fast)
    speed_up(dp)
    await TgClient(dp, bot, 3003).send("hello")
    assert plain == (["hello"], ["hello", "hello"])
    assert fast == (["hello"], ["hello"]), "the router with buttons only is not entered"
