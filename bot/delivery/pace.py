"""One send pace for the whole bot, shared by every sender of every instance (Redis).

Telegram allows a bot about 30 messages a second overall. Within one process the outbox's Pacer and the
broadcast sender's TokenBucket keep to their own rates; with several instances, or a digest and a
broadcast at once, their sum could pass the limit. With ``REDIS_URL`` set, both senders of every
instance take each send's moment from one Redis key: a Lua script reserves the next free moment
(``SEND_RATE`` a second, by Redis's own clock, so the instances' clocks do not matter) and the sender
sleeps until it. Without Redis there is one process, and the local pacers are enough.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.config import Settings

# KEYS[1]: the bot's pace key; ARGV[1]: microseconds between two sends.
# Returns how many microseconds the caller waits for its reserved moment.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, free)
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', 600000)
return at - now
"""


class SharedPace:
    """``acquire()`` returns at the caller's moment: at most ``rate`` a second across every holder of
    the same key. (A RetryAfter from Telegram still pauses only the sender that got it.)"""

    def __init__(self, redis: Any, key: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.redis = redis
        self.key = key
        self.rate = rate
        self.interval_us = int(1_000_000 / rate)
        self._script = redis.register_script(_RESERVE)

    async def acquire(self) -> None:
        wait_us = int(await self._script(keys=[self.key], args=[self.interval_us]))
        if wait_us > 0:
            await asyncio.sleep(wait_us / 1_000_000)

    async def close(self) -> None:
        await self.redis.aclose()


def create_pace(settings: Settings) -> SharedPace | None:
    """The bot-wide pace when Redis is configured (its key names the bot), else None."""
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    bot_id = settings.token.split(":", 1)[0] or "bot"
    return SharedPace(Redis.from_url(settings.redis_url), f"ccbot:pace:{bot_id}", settings.send_rate)
