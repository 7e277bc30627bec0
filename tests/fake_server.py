"""What the fake messenger servers (tests/fake_api.py for Telegram, tests/fake_max.py for MAX) share: an
aiohttp server on a free port of 127.0.0.1, the calls it records, waiting for a call the test expects, and
the long poll that waits for the next update the test pushes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from aiohttp import web

CallT = TypeVar("CallT")


class LoopbackServer(Generic[CallT]):
    route = "/{path:.*}"
    """The path every request is served under (``_handle`` reads its parts from ``match_info``)."""

    def __init__(self) -> None:
        self.calls: list[CallT] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", self.route, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    def _summary(self, call: CallT) -> tuple[Any, ...]:
        """What a timed-out wait lists of each call so far."""
        raise NotImplementedError

    # --- the test's side ----------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[CallT], bool], timeout: float = 20.0, since: int = 0
    ) -> CallT:
        """The first call (from the ``since``-th on) that ``predicate`` accepts, waiting for it."""
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for call in self.calls[checked:]:
                if predicate(call):
                    return call
            checked = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out; {type(self).__name__} calls so far: {[self._summary(c) for c in self.calls]}"
                )
            await _awaited(self._new_call, remaining)

    # --- the bot's side -----------------------------------------------------------------------

    def _record(self, call: CallT) -> None:
        self.calls.append(call)
        self._new_call.set()

    async def _next_update(self, timeout: float) -> None:
        """A long poll's wait: until the test pushes an update or ``timeout`` seconds pass."""
        await _awaited(self._new_update, timeout)


async def _awaited(event: asyncio.Event, timeout: float) -> None:
    event.clear()
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass
