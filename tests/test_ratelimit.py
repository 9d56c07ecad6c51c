"""Pacing: GCRA in process and in Redis (shared by several processes)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.ratelimit import LocalRateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("HOMECOMING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_REDIS = os.environ.get("HOMECOMING_REQUIRE_REDIS") == "1"


async def timed(limiter: LocalRateLimiter | RedisRateLimiter, keys: list[str]) -> list[float]:
    start = time.monotonic()
    stamps = []
    for key in keys:
        await limiter.acquire(key)
        stamps.append(time.monotonic() - start)
    return stamps


async def test_local_global_rate() -> None:
    limiter = LocalRateLimiter(per_second=20, per_chat_per_second=1000)
    stamps = await timed(limiter, [f"c{i}" for i in range(11)])
    assert stamps[-1] >= 0.5 * 0.95  # 10 intervals of 50 ms


async def test_local_per_chat_rate_does_not_hold_back_other_chats() -> None:
    limiter = LocalRateLimiter(per_second=1000, per_chat_per_second=5)
    start = time.monotonic()
    same_chat = asyncio.gather(*(limiter.acquire("a") for _ in range(3)))
    others = asyncio.gather(*(limiter.acquire(f"b{i}") for i in range(5)))
    await others
    others_done = time.monotonic() - start
    await same_chat
    same_done = time.monotonic() - start
    assert others_done < 0.1
    assert same_done >= 0.4 * 0.95  # the third message to one chat waits two intervals


async def test_local_chat_burst_then_pace() -> None:
    """A chat takes ``chat_burst`` messages at once, then one per interval."""
    limiter = LocalRateLimiter(per_second=1000, per_chat_per_second=5, chat_burst=3)
    stamps = await timed(limiter, ["a"] * 5)
    assert stamps[2] < 0.1  # the burst: three at once
    assert stamps[3] >= 0.2 * 0.95 and stamps[4] >= 0.4 * 0.95  # then the pace


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    from redis import asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), 3)
    except Exception as exc:
        reason = f"Redis at {REDIS_URL} is unreachable ({type(exc).__name__})"
        if REQUIRE_REDIS:
            pytest.fail(reason + " and HOMECOMING_REQUIRE_REDIS=1")
        pytest.skip(reason)
    finally:
        await client.aclose()
    yield REDIS_URL


async def test_redis_budget_is_shared_between_processes(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}"
    one = RedisRateLimiter(redis_url, per_second=20, per_chat_per_second=1000, prefix=prefix)
    two = RedisRateLimiter(redis_url, per_second=20, per_chat_per_second=1000, prefix=prefix)
    try:
        start = time.monotonic()
        await asyncio.gather(timed(one, [f"a{i}" for i in range(6)]),
                             timed(two, [f"b{i}" for i in range(6)]))
        elapsed = time.monotonic() - start
        # 12 sends at 20/s shared: at least 11 intervals of 50 ms, not 5 (each alone).
        assert elapsed >= 0.55 * 0.9
    finally:
        await one.close()
        await two.close()


async def test_redis_per_chat_rate_and_private_keys(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(redis_url, per_second=1000, per_chat_per_second=5, prefix=prefix)
    try:
        stamps = await timed(limiter, ["telegram:5551001"] * 3)
        assert stamps[-1] >= 0.4 * 0.9
        keys = [k.decode() async for k in limiter.redis.scan_iter(f"{prefix}:*")]
        assert keys and not any("5551001" in k for k in keys)  # only digests of chat ids
    finally:
        await limiter.close()


async def test_redis_chat_burst_then_pace(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(redis_url, per_second=1000, per_chat_per_second=5,
                               chat_burst=3, prefix=prefix)
    try:
        stamps = await timed(limiter, ["telegram:5551002"] * 5)
        assert stamps[2] < 0.1
        assert stamps[3] >= 0.2 * 0.9 and stamps[4] >= 0.4 * 0.9
    finally:
        await limiter.close()
