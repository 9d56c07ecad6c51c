"""Pacing for outgoing messages: a global rate and a per-chat rate.

Telegram allows about 30 messages per second per bot and about 1 per second per chat; above
that it answers 429. Both limits use GCRA (the generic cell rate algorithm): each key keeps
a "theoretical arrival time", and a send reserves the next slot and waits for it. With Redis
the slots live in Redis, so several worker processes share one budget; without it they live
in this process.

A chat may take a short burst (``chat_burst`` messages at once, then one a second), as
Telegram tolerates: a case manager's chat that receives many alerts at once (50 people in
distress after a news event, bundled into about five messages) gets them within two
seconds instead of five, while the rate over any longer window stays one a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Protocol


class RateLimiter(Protocol):
    async def acquire(self, chat_key: str) -> float:
        """Wait until a message to this chat may be sent; returns the seconds waited."""
        ...

    async def close(self) -> None: ...


class LocalRateLimiter:
    """GCRA in process memory. ``burst`` sends may go at once before pacing starts, and
    ``chat_burst`` to one chat."""

    def __init__(self, per_second: float = 30.0, per_chat_per_second: float = 1.0,
                 burst: int = 1, chat_burst: int = 1) -> None:
        self.interval = 1.0 / per_second
        self.chat_interval = 1.0 / per_chat_per_second
        self.tolerance = (burst - 1) * self.interval
        self.chat_tolerance = (max(1, chat_burst) - 1) * self.chat_interval
        self._global_tat = 0.0
        self._chat_tat: dict[str, float] = {}

    def _reserve(self, now: float) -> float:
        """Reserve one global slot and return when it starts."""
        tat = max(self._global_tat, now)
        self._global_tat = tat + self.interval
        return max(0.0, tat - self.tolerance - now)

    async def acquire(self, chat_key: str) -> float:
        now = time.monotonic()
        chat_tat = max(self._chat_tat.get(chat_key, 0.0), now)
        self._chat_tat[chat_key] = chat_tat + self.chat_interval
        if len(self._chat_tat) > 100_000:  # forget chats whose slot has long passed
            self._chat_tat = {k: v for k, v in self._chat_tat.items() if v > now}
        chat_wait = max(0.0, chat_tat - self.chat_tolerance - now)
        # Take the global slot only when the chat's turn comes, so a chat that waits does
        # not hold back everyone else.
        if chat_wait > 0:
            await asyncio.sleep(chat_wait)
        wait = self._reserve(time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
        return chat_wait + wait

    async def close(self) -> None:
        return None


# KEYS[1] = the key; ARGV[1] = interval in microseconds; ARGV[2] = tolerance in microseconds.
# Reserves the next slot on the key and returns the microseconds to wait for it. Redis's own
# clock is used, so workers with skewed clocks still share one schedule.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
return wait
"""

# Both keys in one round trip: KEYS[1] the chat's, KEYS[2] the global one; ARGV the chat's
# interval and tolerance, then the global ones. The chat's slot is reserved; when it is now,
# the global slot too ({0, its wait}); otherwise only the chat's ({chat wait, -1}), and the
# global slot is taken when the chat's turn comes, so a chat that waits holds back no one.
_GCRA_BOTH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function reserve(key, interval, tolerance)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  redis.call('SET', key, new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
  local wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  return wait
end
local chat_wait = reserve(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
if chat_wait > 0 then return {chat_wait, -1} end
return {0, reserve(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))}
"""


class RedisRateLimiter:
    """GCRA in Redis: one budget for every process that sends with this bot."""

    def __init__(self, url: str, *, per_second: float = 30.0, per_chat_per_second: float = 1.0,
                 burst: int = 1, chat_burst: int = 1,
                 prefix: str = "homecoming:rate") -> None:
        from redis import asyncio as redis

        self.redis = redis.from_url(url)
        self.script = self.redis.register_script(_GCRA)
        self.both = self.redis.register_script(_GCRA_BOTH)
        self.interval_us = int(1_000_000 / per_second)
        self.chat_interval_us = int(1_000_000 / per_chat_per_second)
        self.tolerance_us = (burst - 1) * self.interval_us
        self.chat_tolerance_us = (max(1, chat_burst) - 1) * self.chat_interval_us
        self.prefix = prefix

    def _chat_key(self, chat_key: str) -> str:
        # Chat ids identify people: only a digest goes to Redis.
        digest = hashlib.blake2s(chat_key.encode(), digest_size=10).hexdigest()
        return f"{self.prefix}:chat:{digest}"

    async def acquire(self, chat_key: str) -> float:
        """One round trip when the chat may send now (the usual case), two when it waits."""
        chat_us, global_us = await self.both(
            keys=[self._chat_key(chat_key), f"{self.prefix}:global"],
            args=[self.chat_interval_us, self.chat_tolerance_us, self.interval_us,
                  self.tolerance_us])
        chat_wait = int(chat_us) / 1e6
        if int(global_us) < 0:  # the chat waits for its turn, then takes a global slot
            await asyncio.sleep(chat_wait)
            global_us = await self.script(keys=[f"{self.prefix}:global"],
                                          args=[self.interval_us, self.tolerance_us])
        wait = int(global_us) / 1e6
        if wait > 0:
            await asyncio.sleep(wait)
        return chat_wait + wait

    async def close(self) -> None:
        await self.redis.aclose()
