"""Event propagation through the router tree with less work per router, and button presses sent only
to the routers and handlers that can take their prefix.

aiogram walks every router of the tree in order until a handler takes the update. For each router it
builds a closure and a middleware wrapper (``functools.wraps`` on every call) even when the router has
no outer middlewares, runs its router filters and then the filters of each of its handlers in turn.
Profiled on a stale button press (bench/updates.py): 23 routers, 60 handler checks and 26 wrapper
builds per press, about 55 % of its time.

:class:`FastRouter` and :class:`FastDispatcher` keep aiogram's order and results but:

- a router with no outer middlewares on the observer is entered without building a wrapper;
- a router with no router filters skips the (empty) check;
- a button press goes only to the handlers whose filters could take its data: each handler's key is
  the CallbackData prefix of its filter (``BookCb.filter()``) or the prefix in ``F.data.startswith("x:")``
  / ``F.data == "x:y"``; a handler without one (a catch-all) is kept for every press. The handlers left
  are checked in their registration order, so the same handler takes the press as before;
- a router whose whole subtree has keys only, none of them the press's, is not entered at all (its
  router filters and inner middlewares would not have let a press through to any handler anyway).

The keys are worked out from the tree when first needed and again after any change made through
``include_router``, ``register`` or ``filter`` (a counter of changes); a router or handler added later
in any other way is simply always entered and checked.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import TelegramObject
from magic_filter.operations import CallOperation, ComparatorOperation, GetAttributeOperation

SEPARATOR = ":"
"""The separator of every CallbackData class of the bot; a class with another one is never indexed."""

BUTTONS = "callback_query"

_changes = 0
"""Bumped by every change to a fast tree; cached keys older than it are worked out again."""


def _changed() -> None:
    global _changes
    _changes += 1


def changes() -> int:
    """How many times a fast tree changed: what is worked out from the tree is good while it stays."""
    return _changes


def _magic_key(filter_object: FilterObject) -> str | None:
    """``F.data.startswith("x:...")`` or ``F.data == "x..."``: the key ``x`` every data it admits has."""
    operations = getattr(filter_object.magic, "_operations", ())
    if len(operations) < 2:
        return None
    first, second = operations[0], operations[1]
    if not (isinstance(first, GetAttributeOperation) and first.name == "data"):
        return None
    if (
        len(operations) == 3
        and isinstance(second, GetAttributeOperation)
        and second.name == "startswith"
        and isinstance(operations[2], CallOperation)
        and len(operations[2].args) == 1
        and not operations[2].kwargs
        and isinstance(operations[2].args[0], str)
        and SEPARATOR in operations[2].args[0]
    ):
        return operations[2].args[0].split(SEPARATOR, 1)[0]
    if (
        len(operations) == 2
        and isinstance(second, ComparatorOperation)
        and second.comparator is operator.eq
        and isinstance(second.right, str)
    ):
        return second.right.split(SEPARATOR, 1)[0]
    return None


def filter_key(filter_object: FilterObject) -> str | None:
    """The key (data up to the first ``:``) of every press this filter can admit, or None if it may
    admit any."""
    callback = filter_object.callback
    cls = getattr(callback, "callback_data", None)  # bot.fastpath's prefix check carries its class
    if isinstance(callback, CallbackQueryFilter):
        cls = callback.callback_data
    if isinstance(cls, type) and getattr(cls, "__separator__", None) == SEPARATOR:
        return str(cls.__prefix__)
    if filter_object.magic is not None:
        return _magic_key(filter_object)
    return None


def handler_key(handler: HandlerObject) -> str | None:
    """A handler's key: the first of its filters that has one (all of them must pass)."""
    return next(filter(None, map(filter_key, handler.filters or [])), None)


def press_key(event: Any) -> str:
    data = getattr(event, "data", None) or ""
    return data.split(SEPARATOR, 1)[0]


class _Index:
    """One observer's button handlers by key, in registration order, catch-alls in every list."""

    __slots__ = ("by_key", "changes", "rest")

    def __init__(self, handlers: list[HandlerObject]) -> None:
        keys = [handler_key(handler) for handler in handlers]
        self.rest = [h for h, key in zip(handlers, keys, strict=True) if key is None]
        self.by_key = {
            key: [h for h, other in zip(handlers, keys, strict=True) if other in (None, key)]
            for key in set(keys) - {None}
        }
        self.changes = _changes


def subtree_keys(router: Router) -> frozenset[str] | None:
    """The keys of every button handler in ``router`` and below it, or None if one of them is a
    catch-all (or a router below is not a fast one: it may change without our knowing)."""
    if not isinstance(router, FastPropagation):
        return None
    keys: set[str] = set()
    for handler in router.observers[BUTTONS].handlers:
        key = handler_key(handler)
        if key is None:
            return None
        keys.add(key)
    for sub in router.sub_routers:
        below = subtree_keys(sub)
        if below is None:
            return None
        keys |= below
    return frozenset(keys)


def subtree_handles(router: Router, update_type: str) -> bool:
    """Whether ``router`` or a router below it has a handler for ``update_type`` (True when unsure)."""
    if not isinstance(router, FastPropagation):
        return True
    observer = router.observers.get(update_type)
    if observer is not None and (observer.handlers or observer.outer_middleware):
        return True
    return any(subtree_handles(sub, update_type) for sub in router.sub_routers)


class FastPropagation:
    """The propagation of :mod:`bot.propagation`, for a Router or the Dispatcher."""

    _fast_summary: dict[str, tuple[int, frozenset[str] | bool | None]]

    if TYPE_CHECKING:  # what the Router it is mixed into has
        observers: dict[str, TelegramEventObserver]
        sub_routers: list[Router]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fast_summary = {}

    def takes_none(self, update_type: str, key: str | None) -> bool:
        """True when no handler in this router's subtree can take the event: none for its type at all,
        or (a button press, ``key`` given) none whose filter admits ``key``."""
        summaries = self._fast_summary
        cached = summaries.get(update_type)
        if cached is None or cached[0] != _changes:
            found = subtree_keys(self) if update_type == BUTTONS else subtree_handles(self, update_type)  # type: ignore[arg-type]
            cached = summaries[update_type] = (_changes, found)
        summary = cached[1]
        if summary is None or summary is True:
            return False
        if summary is False:
            return True
        return key is not None and key not in summary  # type: ignore[operator]

    def takes_no(self, key: str) -> bool:
        """True when no button handler in this router's subtree can take a press with ``key``."""
        return self.takes_none(BUTTONS, key)

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        observer = self.observers.get(update_type)
        if observer is not None and observer.outer_middleware:
            return await Router.propagate_event(self, update_type, event, **kwargs)  # type: ignore[arg-type]
        return await self._walk(observer, update_type, event, kwargs)

    async def _propagate_event(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        **kwargs: Any,
    ) -> Any:
        return await self._walk(observer, update_type, event, kwargs)

    async def _walk(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """aiogram's Router._propagate_event, with ``data`` shared by the routers below (never changed
        in place: what a router adds goes into its own copy, as aiogram's ``**kwargs`` copies do)."""
        key = press_key(event) if update_type == BUTTONS else None
        if observer is not None:
            if observer._handler.filters:
                result, data = await observer.check_root_filters(event, **{**data, "event_router": self})
                if not result:
                    return UNHANDLED
            handlers = candidates(observer, key)
            if handlers:
                response = await _trigger(observer, handlers, event, {**data, "event_router": self})
                if response is REJECTED:  # pragma: no cover - only if a handler returns REJECTED
                    return UNHANDLED
                if response is not UNHANDLED:
                    return response
        for router in self.sub_routers:
            if not isinstance(router, FastPropagation):
                response = await router.propagate_event(update_type=update_type, event=event, **data)
            elif router.takes_none(update_type, key):
                continue
            else:
                sub = router.observers.get(update_type)
                if sub is not None and sub.outer_middleware:
                    response = await router.propagate_event(update_type=update_type, event=event, **data)
                else:
                    response = await router._walk(sub, update_type, event, data)
            if response is not UNHANDLED:
                return response
        return UNHANDLED

    def include_router(self, router: Router) -> Router:
        included = Router.include_router(self, router)  # type: ignore[arg-type]
        speed_up(router)
        _changed()
        return included


class FastRouter(FastPropagation, Router):
    pass


class FastDispatcher(FastPropagation, Dispatcher):
    pass


class FastObserver(TelegramEventObserver):
    """Marks the tree changed when a handler or a router filter is added after start-up."""

    def register(self, *args: Any, **kwargs: Any) -> Any:
        _changed()
        return super().register(*args, **kwargs)

    def filter(self, *filters: Any) -> None:
        _changed()
        super().filter(*filters)


def candidates(observer: TelegramEventObserver, key: str | None) -> list[HandlerObject]:
    if key is None or not observer.handlers:
        return observer.handlers
    index: _Index | None = getattr(observer, "_fast_index", None)
    if index is None or index.changes != _changes:
        index = _Index(observer.handlers)
        observer._fast_index = index  # type: ignore[attr-defined]
    return index.by_key.get(key, index.rest)


async def _trigger(
    observer: TelegramEventObserver,
    handlers: Iterable[HandlerObject],
    event: TelegramObject,
    kwargs: dict[str, Any],
) -> Any:
    """aiogram's TelegramEventObserver.trigger over the handlers given."""
    for handler in handlers:
        kwargs["handler"] = handler
        result, data = await handler.check(event, **kwargs)
        if result:
            kwargs.update(data)
            try:
                wrapped_inner = observer.outer_middleware.wrap_middlewares(
                    observer._resolve_middlewares(),
                    handler.call,
                )
                return await wrapped_inner(event, kwargs)
            except SkipHandler:
                continue
    return UNHANDLED


def speed_up(root: Router) -> int:
    """Give ``root`` and every plain Router below it (and their observers) the fast propagation;
    returns how many routers were changed."""
    changed = 0
    for router in root.chain_tail:
        if type(router) is Router:
            router.__class__ = FastRouter
            changed += 1
        elif type(router) is Dispatcher:
            router.__class__ = FastDispatcher
            changed += 1
        if isinstance(router, FastPropagation) and "_fast_summary" not in router.__dict__:
            router._fast_summary = {}
        for observer in router.observers.values():
            if type(observer) is TelegramEventObserver:
                observer.__class__ = FastObserver
    _changed()
    return changed
