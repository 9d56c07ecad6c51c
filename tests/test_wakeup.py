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


async def stop_listening(stop: asyncio.Event, tasks: list[asyncio.Task[None]],
                         clients: list[RedisWakeup]) -> None:
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for client in clients:
        await client.close()


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
        await stop_listening(stop, tasks, [receiver, *listeners])


async def test_deployments_on_other_redis_databases_do_not_wake_each_other(
        redis_url: str) -> None:  # noqa: F811
    base = redis_url.rsplit("/", 1)[0]
    mine, theirs = RedisWakeup(f"{base}/15"), RedisWakeup(f"{base}/14")
    assert mine.channel != theirs.channel
    woken: list[int] = []
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(theirs.listen(lambda: woken.append(1), stop, ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        before = len(woken)
        mine.notify()
        assert await until(lambda: mine.published == 1)
        await asyncio.sleep(0.3)
        assert len(woken) == before  # the other deployment's publish woke no one here
    finally:
        await stop_listening(stop, [task], [mine, theirs])


async def test_receivers_wake_and_workers_listen(
        database: Database, redis_url: str) -> None:  # noqa: F811
    """``serve``'s wiring: a receiver's sender publishes its wake-ups, a worker's sender
    is woken by them."""
    from bot.run import join_wakeups

    channel = f"test-wiring-{time.monotonic_ns()}"
    publisher, subscriber = (RedisWakeup(redis_url, channel=channel) for _ in range(2))
    receiver = Sender(database, {"test": RecordingTransport()})
    worker = Sender(database, {"test": RecordingTransport()}, worker=True)
    stop = asyncio.Event()
    assert join_wakeups(publisher, receiver, True, stop) is None
    assert receiver.hand_off == publisher.notify
    listening = join_wakeups(subscriber, worker, False, stop)
    assert listening is not None and worker.hand_off is None
    try:
        assert await until(worker._wake.is_set)  # subscribed: woken once, as it subscribes
        worker._wake.clear()
        receiver.workers_send = True
        receiver.wake()  # after a commit
        assert await until(worker._wake.is_set)
        assert not receiver._wake.is_set()
    finally:
        await stop_listening(stop, [listening], [publisher, subscriber])


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
    # A long poll: what is sent after the worker died is sent because it died, not polled.
    running = asyncio.create_task(receiver.run(stop, poll=5.0, beat=0.02))
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
        receiver.stop_soon()
        await asyncio.wait_for(running, 5)


def test_a_receiver_that_starts_leaving_the_sending_wakes_the_workers() -> None:
    """What it was about to send itself when a worker came alive goes to the workers."""
    receiver = Sender(None, {})  # type: ignore[arg-type]
    handed: list[int] = []
    receiver.hand_off = lambda: handed.append(1)
    receiver._workers_alive(True)
    assert handed == [1] and receiver.workers_send
    receiver._workers_alive(True)
    assert handed == [1]  # once, at the switch


async def test_a_worker_that_stops_or_is_stuck_no_longer_says_it_sends(
        database: Database, clock: FakeClock) -> None:
    worker = Sender(database, {"test": RecordingTransport()}, clock=clock, worker=True)
    stop, release = asyncio.Event(), asyncio.Event()
    drain = worker.drain

    async def stuck(poll: float = 1.0) -> int:
        if not release.is_set():  # a claim waiting on a lock, say, for 10 s so far
            worker._came_round -= 10
            await release.wait()
        return await drain(poll)

    running = asyncio.create_task(worker.run(stop, poll=0.05, beat=0.02))
    try:
        await asyncio.sleep(0.1)  # a beat or more
        assert await database.run(workers.worker_alive, clock())
        worker.drain = stuck  # type: ignore[method-assign]
        assert await until(lambda: not worker._sending_for_all())
        await asyncio.sleep(0.1)  # a beat or more
        assert not await database.run(workers.worker_alive, clock())
        release.set()  # it goes on: it says so again
        await asyncio.sleep(0.1)
        assert await database.run(workers.worker_alive, clock())
        stop.set()
        worker.stop_soon()  # stopping: withdrawn at once, while its last pass ends
        assert worker._withdrawn is not None
        await worker._withdrawn
        assert not await database.run(workers.worker_alive, clock())
    finally:
        stop.set()
        release.set()
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
