"""Every action value of every typed button has a handler.

How the buttons are found: every module under keyboards/ and handlers/ is imported, and every subclass of
aiogram's CallbackData defined there that has a field typed with an Enum (``action: BookAction``, a
StrEnum) is taken; each of the Enum's values is one action. Classes whose fields are still plain ``str``
are not covered until their feature's branch types them (issue 15): ``test_typed_buttons_found`` prints
which classes are covered.

How an action is checked: a press with that value (other required fields set to the values the handlers'
filters compare them with, e.g. the form's name, else an id 1 or "1") is fed through the real dispatcher, once from a registered resident in a private chat and once
from staff in the admin chat. It passes when, in one of the two, something other than the fallback
router's «stale button» handler took the press. A button that only works inside a dialog step is pressed
again in each FSM state that a handler of its class filters on (read from the router tree).
"""

from __future__ import annotations

import enum
import importlib
import itertools
import pkgutil
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.filters.state import StateFilter
from aiogram.fsm.state import State, StatesGroup
from magic_filter.operations.combination import CombinationOperation
from magic_filter.operations.comparator import ComparatorOperation
from magic_filter.operations.function import FunctionOperation
from magic_filter.operations.getattr import GetAttributeOperation

from bot import features
from bot.factory import create_dispatcher
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, register

PACKAGES = ("keyboards", "handlers")


def _all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def typed_buttons() -> list[tuple[type[CallbackData], str, type[enum.Enum]]]:
    """(CallbackData class, its Enum field, the Enum) for every typed button of the application."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            importlib.import_module(info.name)
    found = []
    for cls in _all_subclasses(CallbackData):
        if not cls.__module__.startswith(PACKAGES):
            continue
        for name, field in cls.model_fields.items():
            enum_type = _enum_of(field.annotation)
            if enum_type is not None:
                found.append((cls, name, enum_type))
    return sorted(found, key=lambda item: (item[0].__module__, item[0].__name__, item[1]))


def _enum_of(annotation: Any) -> type[enum.Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if (found := _enum_of(arg)) is not None:
                return found
    return None


def _value_for(annotation: Any) -> Any:
    """A plausible value for a field without a default: an id 1, a text "1", an Enum's first member."""
    if (enum_type := _enum_of(annotation)) is not None:
        return next(iter(enum_type))
    args = typing.get_args(annotation)
    base = args[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    if typing.get_origin(base) in (typing.Union, types.UnionType):
        return None
    if base is bool:
        return False
    if base is int:
        return 1
    return "1"


def press_data(
    cls: type[CallbackData], field: str, value: enum.Enum, known: dict[str, set[Any]] | None = None
) -> list[str]:
    """The packed presses to try: required fields filled with the values handlers compare them with
    (``FormCb.filter(F.f == "registration")`` gives f="registration"), else a plausible value."""
    choices: list[list[tuple[str, Any]]] = []
    for name, info in cls.model_fields.items():
        if name == field or not info.is_required():
            continue
        seen = sorted((known or {}).get(name, set()), key=str)
        choices.append([(name, v) for v in seen] or [(name, _value_for(info.annotation))])
    out = []
    for combination in itertools.islice(itertools.product(*choices), 12):
        try:
            out.append(cls(**{field: value, **dict(combination)}).pack())
        except ValueError:  # a harvested value of another type
            continue
    return out


def _rule_constants(rule: Any, into: dict[str, set[Any]]) -> None:
    """Field -> constants a magic filter compares it with (== and in_), combinations included."""
    name = None
    for operation in getattr(rule, "_operations", ()):
        if isinstance(operation, GetAttributeOperation):
            name = operation.name
        elif isinstance(operation, ComparatorOperation) and name is not None:
            right = operation.right
            if isinstance(right, str | int | enum.Enum) and not isinstance(right, bool):
                into.setdefault(name, set()).add(right)
        elif isinstance(operation, FunctionOperation) and name is not None and operation.args:
            for candidate in operation.args[0] if isinstance(operation.args[0], set | list | tuple) else ():
                if isinstance(candidate, str | int | enum.Enum):
                    into.setdefault(name, set()).add(candidate)
        elif isinstance(operation, CombinationOperation):
            _rule_constants(operation.right, into)


# --- which FSM states a button class is handled in (read from the routers) ------------------------


def _states_of(filter_object: FilterObject) -> set[str] | None:
    """The states a filter admits, or None when it is no state filter."""
    callback = filter_object.callback
    for cell in getattr(callback, "__closure__", None) or ():  # bot.fastpath wraps State filters
        if isinstance(cell.cell_contents, State):
            callback = cell.cell_contents
    if isinstance(callback, State):
        return {callback.state} if callback.state else None
    if isinstance(callback, type) and issubclass(callback, StatesGroup):
        return set(callback.__all_states_names__)
    if isinstance(callback, StateFilter):
        out: set[str] = set()
        for state in callback.states:
            if isinstance(state, State) and state.state:
                out.add(state.state)
            elif isinstance(state, type) and issubclass(state, StatesGroup):
                out |= set(state.__all_states_names__)
            elif isinstance(state, str) and state != "*":
                out.add(state)
        return out or None
    return None


def _query_filter(filter_object: FilterObject) -> CallbackQueryFilter | None:
    callback = filter_object.callback
    if isinstance(callback, CallbackQueryFilter):
        return callback
    for cell in getattr(callback, "__closure__", None) or ():  # bot.fastpath's prefix check
        if isinstance(cell.cell_contents, CallbackQueryFilter):
            return cell.cell_contents
    return None


def _class_of(filter_object: FilterObject) -> type | None:
    found = _query_filter(filter_object)
    return found.callback_data if found is not None else None


def compared_values(dp: Dispatcher) -> dict[str, dict[str, set[Any]]]:
    """CallbackData prefix -> field -> the constants its handlers' filters compare the field with."""
    out: dict[str, dict[str, set[Any]]] = {}

    def walk(router: Router) -> None:
        for handler in router.callback_query.handlers:
            for filter_object in handler.filters or []:
                found = _query_filter(filter_object)
                if found is not None and found.rule is not None:
                    _rule_constants(found.rule, out.setdefault(found.callback_data.__prefix__, {}))
        for sub in router.sub_routers:
            walk(sub)

    walk(dp)
    return out


def handled_states(dp: Dispatcher) -> dict[str, set[str]]:
    """CallbackData prefix -> the FSM states its handlers (or their routers) require."""
    out: dict[str, set[str]] = {}

    def walk(router: Router, inherited: set[str]) -> None:
        own = set(inherited)
        for filter_object in router.callback_query._handler.filters or []:
            own |= _states_of(filter_object) or set()
        for handler in router.callback_query.handlers:
            states = set(own)
            classes = set()
            for filter_object in handler.filters or []:
                states |= _states_of(filter_object) or set()
                if (cls := _class_of(filter_object)) is not None:
                    classes.add(cls)
            for cls in classes:
                out.setdefault(cls.__prefix__, set()).update(states)
        for sub in router.sub_routers:
            walk(sub, own)

    walk(dp, set())
    return out


# --- pressing ------------------------------------------------------------------------------------


class FallbackWatch:
    """An inner middleware on the fallback router's buttons: it notes when the stale-button handler
    is the one that took a press."""

    def __init__(self, dp: Dispatcher) -> None:
        self.hits = 0
        fallback = next(r for r in dp.sub_routers if r.name == "fallback")
        fallback.callback_query.middleware(self)

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.hits += 1
        return await handler(event, data)


async def answered(client: TgClient, watch: FallbackWatch, presses: list[str], states: set[str]) -> bool:
    """Did anything but the fallback take one of these presses, without a state or in one of ``states``?"""
    context = client.dp.fsm.get_context(client.bot, chat_id=client.chat_id, user_id=client.user.id)
    for state in [None, *sorted(states)]:
        for data in presses:
            await context.set_state(state)
            before = watch.hits
            await client.press_data(data)
            if watch.hits == before:
                await context.clear()
                return True
    await context.clear()
    return False


async def unhandled_actions(
    dp: Dispatcher, resident: TgClient, staff: TgClient, buttons: list[tuple[type[CallbackData], str, Any]]
) -> list[str]:
    dp["expect_errors"] = True  # a press with made-up ids may fail inside its handler; that is not ours here
    watch = FallbackWatch(dp)
    states = handled_states(dp)
    compared = compared_values(dp)
    missing = []
    for cls, field, enum_type in buttons:
        for value in enum_type:
            presses = press_data(cls, field, value, compared.get(cls.__prefix__))
            found = states.get(cls.__prefix__, set())
            if not (
                await answered(resident, watch, presses, found)
                or await answered(staff, watch, presses, found)
            ):
                missing.append(f"{cls.__module__}.{cls.__name__}({field}={value.value!r}) -> {presses[:1]}")
    return missing


# --- the tests -----------------------------------------------------------------------------------


def test_typed_buttons_found() -> None:
    """Which classes the sweep covers (printed with -s); the machinery finds Enum fields of any name."""
    buttons = typed_buttons()
    print("typed buttons:", [f"{c.__name__}.{f}" for c, f, _e in buttons] or "none yet")
    assert all(issubclass(e, enum.Enum) and len(e) > 0 for _c, _f, e in buttons)


async def test_every_action_of_every_typed_button_has_a_handler(
    dp: Dispatcher, client: TgClient, staff: TgClient
) -> None:
    buttons = typed_buttons()
    if not buttons:
        pytest.skip("no CallbackData with an Enum field yet (the feature branches of issue 15 add them)")
    await register(client)
    assert await unhandled_actions(dp, client, staff, buttons) == []


class ProbeAction(enum.StrEnum):
    HANDLED = "h"
    IN_DIALOG = "d"
    ORPHAN = "o"


class ProbeCb(CallbackData, prefix="probe"):
    action: ProbeAction
    id: int


class ProbeDialog(StatesGroup):
    step = State()


def _probe_router() -> Router:
    router = Router(name="probe")

    @router.callback_query(ProbeCb.filter(F.action == ProbeAction.HANDLED))
    async def handled(callback: Any) -> None:
        await callback.answer("ok")

    @router.callback_query(ProbeDialog.step, ProbeCb.filter(F.action == ProbeAction.IN_DIALOG))
    async def in_dialog(callback: Any) -> None:
        await callback.answer("step")

    return router


async def test_the_sweep_finds_an_action_without_a_handler(
    settings: Any, db: Any, bot: Any, redis_flush: None
) -> None:
    """The checker itself: a probe feature handles one action always, one only in its dialog's step,
    and leaves the third to the fallback; only the third is reported."""
    probe = features.Feature("probe", routers=lambda s: [_probe_router()])
    dp = create_dispatcher(settings, db, error_sink=[], registry=features.build([*features.FEATURES, probe]))
    try:
        resident = TgClient(dp, bot, 1001)
        staff = TgClient(dp, bot, STAFF_ID, chat_id=ADMIN_CHAT_ID)
        await register(resident)
        missing = await unhandled_actions(dp, resident, staff, [(ProbeCb, "action", ProbeAction)])
        assert missing == [f"{__name__}.ProbeCb(action='o') -> ['probe:o:1']"]
        assert handled_states(dp)["probe"] == {"ProbeDialog:step"}
    finally:
        await dp.storage.close()
        features.install(features.build())
