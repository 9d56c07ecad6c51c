"""Wake-ups across processes: a receiver that queued messages tells the workers to send them.

In the production layout (README) web processes receive and ``homecoming worker`` processes
send. A worker polls the outbox every second anyway (retries that came due, rows of a sender
that died); a wake-up is what makes a reply go out within milliseconds of its commit. It
is a Redis ``PUBLISH`` on one channel, with nothing in it but the fact: no chat id, no
text. A lost wake-up costs at most the worker's poll, never a message (the outbox is the
record), so publishing is fire-and-forget and coalesced: while one publish is in flight,
the commits meanwhile make one more, not one each. PostgreSQL's ``NOTIFY`` would need no
Redis, but inside a transaction it takes a lock that serialises every commit of the
database behind it, and after the commit it is one more round trip per update.

Pub/sub channels are global to a Redis server, whatever database a URL selects: the
channel's name carries the database's number, so two deployments on one server, each on its
own database, do not wake each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "homecoming:outbox"
WARN_EVERY = 60.0  # seconds between warnings that publishing fails


class RedisWakeup:
    """Publish wake-ups (``notify``) and hand those of others to a callback (``listen``)."""

    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        from redis import asyncio as redis

        # A half-open connection (a failover, a NAT timeout) is found within seconds, not
        # left listening for ever while every message waits for the workers' poll.
        self.redis: Any = redis.from_url(url, health_check_interval=5, socket_keepalive=True,
                                         socket_connect_timeout=2)
        database = self.redis.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{channel}:{database}"
        self._pending = False
        self._publishing: asyncio.Task[None] | None = None
        self._warned = 0.0
        self.published = 0  # publishes made (for the tests and the bench)

    def notify(self) -> None:
        """Ask the workers to send now; returns at once (called after each commit)."""
        self._pending = True
        if self._publishing is None or self._publishing.done():
            self._publishing = asyncio.get_running_loop().create_task(self._publish())

    async def _publish(self) -> None:
        while self._pending:
            self._pending = False
            try:
                await self.redis.publish(self.channel, b"")
                self.published += 1
            except Exception as exc:
                # The workers' poll delivers the messages a little later; say so, not often.
                if time.monotonic() - self._warned > WARN_EVERY:
                    self._warned = time.monotonic()
                    log.warning("could not wake the workers (%s); they send at their next "
                                "poll", type(exc).__name__)
                return

    async def listen(self, on_wake: Callable[[], None], stop: asyncio.Event,
                     ready: asyncio.Event | None = None) -> None:
        """Call ``on_wake`` for every wake-up published, until ``stop``; reconnects after a
        Redis failure (the worker polls meanwhile). ``ready`` is set once subscribed."""
        wait = 0.5
        while not stop.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if ready is not None:
                    ready.set()
                wait = 0.5
                on_wake()  # what was published while not subscribed
                while not stop.is_set():
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        on_wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("listening for wake-ups failed (%s); polling meanwhile",
                            type(exc).__name__)
                await asyncio.sleep(wait)
                wait = min(10.0, wait * 2)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def close(self) -> None:
        if self._publishing is not None and not self._publishing.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._publishing, timeout=1.0)
        await self.redis.aclose()
