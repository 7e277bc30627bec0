"""Pure synchronous filters evaluated inline instead of in a worker thread.

aiogram runs every synchronous filter through ``asyncio.to_thread`` (about 65 µs each, more on a busy
machine). A stale button passes the filters of every router before the fallback answers it: about 35
state and magic filters, i.e. 35 thread hops for an update that needs no work at all. FSM states
(``Reg.name``) and magic filters (``F.data == "x"``) only look at the event and its state, so they are
safe to call on the event loop. Other synchronous callables are left as they are.

Callback data filters (``BookCb.filter()``) parse the data of every press with pydantic before they
find that its prefix is not theirs; a stale press meets about a hundred of them. Each gets a plain
prefix check in front, which answers the same for every press whose data is not its prefix's.

A router whose every button handler (its own and its sub-routers') carries a callback data filter can
only take presses with one of those prefixes: it gets one gate filter for button presses that checks
the prefix set once, instead of the press visiting each of its handlers (a stale press visited 180).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State


def _inline(function: Callable[..., Any]) -> Callable[..., Any]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return inline


def _prefix_checked(callback_filter: CallbackQueryFilter) -> Callable[..., Any]:
    cls = callback_filter.callback_data
    head = f"{cls.__prefix__}{cls.__separator__}"

    async def check(query: Any, *args: Any, **kwargs: Any) -> Any:
        data = getattr(query, "data", None)
        if not data or not (data.startswith(head) or data == cls.__prefix__):
            return False  # unpack() would refuse it too: another prefix
        return await callback_filter(query, *args, **kwargs)

    check.callback_data = cls  # type: ignore[attr-defined]
    return check


def _prefix_of(filter_object: FilterObject) -> tuple[str, str] | None:
    cls = getattr(filter_object.callback, "callback_data", None)
    if isinstance(filter_object.callback, CallbackQueryFilter):
        cls = filter_object.callback.callback_data
    if cls is None or not isinstance(cls, type):
        return None
    return cls.__prefix__, cls.__separator__


def _button_prefixes(router: Router) -> set[tuple[str, str]] | None:
    """Every (prefix, separator) the button handlers of ``router`` and below can take, or None when
    one of them could take a press without a callback data filter (a magic filter, a catch-all)."""
    prefixes: set[tuple[str, str]] = set()
    for handler in router.callback_query.handlers:
        found = next(filter(None, map(_prefix_of, handler.filters or [])), None)
        if found is None:
            return None
        prefixes.add(found)
    for sub in router.sub_routers:
        below = _button_prefixes(sub)
        if below is None:
            return None
        prefixes |= below
    return prefixes


class ButtonPrefixGate(Filter):
    """Router-level filter for button presses: lets through only data with one of the prefixes the
    router's handlers can take (each of them would refuse any other)."""

    def __init__(self, prefixes: set[tuple[str, str]]) -> None:
        self.exact = frozenset(prefix for prefix, _ in prefixes)
        self.heads = tuple(sorted({f"{prefix}{separator}" for prefix, separator in prefixes}))

    async def __call__(self, query: Any) -> bool:
        data = getattr(query, "data", None)
        return bool(data) and (data.startswith(self.heads) or data in self.exact)


def gate_button_routers(router: Router) -> int:
    """Give each router (from the top) whose whole subtree takes only known prefixes one gate."""
    prefixes = _button_prefixes(router)
    if prefixes is not None:
        if not prefixes:
            return 0
        router.callback_query.filter(ButtonPrefixGate(prefixes))
        return 1
    return sum(gate_button_routers(sub) for sub in router.sub_routers)


def _make_inline(filter_object: FilterObject) -> None:
    if filter_object.awaitable:
        return
    if filter_object.magic is not None or isinstance(filter_object.callback, State):
        # ``params`` keep the original signature, so the kwargs passed stay the same
        filter_object.callback = _inline(filter_object.callback)
        filter_object.awaitable = True


def inline_pure_filters(router: Router) -> int:
    """Make the state and magic filters of ``router`` and every router below it run inline, put the
    prefix gates in front of button routers; returns how many filters were changed or added."""
    changed = gate_button_routers(router)
    for each in router.chain_tail:
        for observer in each.observers.values():
            handler_objects = [getattr(observer, "_handler", None), *getattr(observer, "handlers", [])]
            for handler_object in handler_objects:
                for filter_object in getattr(handler_object, "filters", None) or []:
                    if isinstance(filter_object.callback, CallbackQueryFilter):
                        filter_object.callback = _prefix_checked(filter_object.callback)
                        changed += 1
                    elif not filter_object.awaitable:
                        _make_inline(filter_object)
                        changed += filter_object.awaitable
    return changed
