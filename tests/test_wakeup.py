"""Receivers wake the workers through Redis and leave them the sending while one is alive;
with no worker alive, a receiver sends itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot.sender import Sender
from bot.wakeup import RedisWakeup
from storage import repository as repo
from storage import workers
from storage.db import Database
from tests.conftest import FakeClock, RecordingTransport
from tests.test_ratelimit import redis_url  # noqa: F401  (the fixture)


async def until(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_a_wakeup_reaches_every_listening_worker_and_commits_coalesce(
        redis_url: str) -> None:  # noqa: F811
    channel = f"test-wake-{time.monotonic_ns()}"
    receiver = RedisWakeup(redis_url, channel=channel)
    listeners = [RedisWakeup(redis_url, channel=channel) for _ in range(2)]
    woken = [0, 0]
    stop = asyncio.Event()
    ready = [asyncio.Event(), asyncio.Event()]

    def counter(n: int) -> Callable[[], None]:
        def on_wake() -> None:
            woken[n] += 1
        return on_wake

    tasks = [asyncio.create_task(one.listen(counter(n), stop, ready[n]))
             for n, one in enumerate(listeners)]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 5)
        before = list(woken)  # each listener wakes once as it subscribes
        for _ in range(100):  # a hundred commits in one moment
            receiver.notify()
        assert await until(lambda: woken[0] > before[0] and woken[1] > before[1])
        await asyncio.sleep(0.1)
        assert 1 <= receiver.published <= 3  # one publish, and one for those meanwhile
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for one in (receiver, *listeners):
            await one.close()


async def test_deployments_on_other_redis_databases_do_not_wake_each_other(
        redis_url: str) -> None:  # noqa: F811
    base = redis_url.rsplit("/", 1)[0]
    mine, theirs = RedisWakeup(f"{base}/15"), RedisWakeup(f"{base}/14")
    assert mine.channel != theirs.channel
    await mine.close()
    await theirs.close()


async def test_a_receiver_leaves_the_sending_to_a_live_worker_and_sends_when_none_is(
        database: Database, clock: FakeClock) -> None:
    transport = RecordingTransport()
    receiver = Sender(database, {"test": transport}, clock=clock)
    handed: list[int] = []
    receiver.hand_off = lambda: handed.append(1)
    await database.run(workers.beat, "a-worker", clock(), worker=True)

    def add(conn: Any) -> None:
        repo.add_outbox(conn, participant_id=None, channel="test", chat_id="5",
                        payload={"text": "hello"}, now=clock())

    stop = asyncio.Event()
    running = asyncio.create_task(receiver.run(stop, poll=0.05, beat=0.02))
    try:
        assert await until(lambda: receiver.workers_send)
        await database.run(add)
        receiver.wake()  # as the engine does after its commit
        assert handed  # the workers were woken ...
        await asyncio.sleep(0.3)
        assert transport.sent == []  # ... and this process sent nothing itself
        clock.advance(seconds=6)  # the worker's beats stopped: it died
        assert await until(lambda: len(transport.sent) == 1)
        assert not receiver.workers_send
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)


async def test_a_receiver_that_cannot_wake_workers_sends_itself(
        database: Database, clock: FakeClock) -> None:
    """Without Redis there is no way to wake a worker: the receiver keeps sending (a worker
    alive or not), so replies never wait for a worker's poll."""
    transport = RecordingTransport()
    receiver = Sender(database, {"test": transport}, clock=clock)
    await database.run(workers.beat, "a-worker", clock(), worker=True)
    await database.run(lambda conn: repo.add_outbox(
        conn, participant_id=None, channel="test", chat_id="6", payload={"text": "hi"},
        now=clock()))
    stop = asyncio.Event()
    running = asyncio.create_task(receiver.run(stop, poll=0.05, beat=0.02))
    try:
        assert await until(lambda: len(transport.sent) == 1)
        assert not receiver.workers_send
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)


async def test_a_worker_beat_says_it_is_a_worker(database: Database, clock: FakeClock) -> None:
    await database.run(workers.beat, "a-receiver", clock())
    assert not await database.run(workers.worker_alive, clock())
    await database.run(workers.beat, "a-worker", clock(), worker=True)
    assert await database.run(workers.worker_alive, clock())
    clock.advance(seconds=6)
    assert not await database.run(workers.worker_alive, clock())
