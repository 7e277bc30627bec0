"""Pure synchronous filters evaluated inline instead of in a worker thread.

aiogram runs every synchronous filter through ``asyncio.to_thread`` (about 65 µs each, more on a busy
machine). A stale button passes the filters of every router before the fallback answers it: about 35
state and magic filters, i.e. 35 thread hops for an update that needs no work at all. FSM states
(``Reg.name``) and magic filters (``F.data == "x"``) only look at the event and its state, so they are
safe to call on the event loop. Other synchronous callables are left as they are.

Callback data filters (``BookCb.filter()``) parse the data of every press with pydantic before they
find that its prefix is not theirs; a stale press meets about a hundred of them. Each gets a plain
prefix check in front, which answers the same for every press whose data is not its prefix's.

Which routers and handlers a press visits at all is bot.propagation's business (by the same prefix).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
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


def _make_inline(filter_object: FilterObject) -> None:
    if filter_object.awaitable:
        return
    if filter_object.magic is not None or isinstance(filter_object.callback, State):
        # ``params`` keep the original signature, so the kwargs passed stay the same
        filter_object.callback = _inline(filter_object.callback)
        filter_object.awaitable = True


def inline_pure_filters(router: Router) -> int:
    """Make the state and magic filters of ``router`` and every router below it run inline and put the
    prefix check in front of callback data filters; returns how many filters were changed."""
    changed = 0
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
