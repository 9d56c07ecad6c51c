"""The sender: the only code that sends. It drains the outbox through a transport.

Rows are claimed with a lease, so a sender that dies mid-send leaves them due again. Each
send waits for the rate limiter (global and per chat); a 429 is retried after the time the
server asks for, network errors with exponential backoff; a permanent error is recorded on
the row and never retried; a person who blocked the bot is marked unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.ratelimit import LocalRateLimiter, RateLimiter
from flows.engine.engine import utcnow
from storage import repository as repo
from storage.db import Connection, Database, group_commits

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0  # seconds between tries of a message Telegram keeps refusing for now


class SendError(Exception):
    """A send that failed. ``permanent`` ones are recorded and never retried."""

    def __init__(self, reason: str, *, permanent: bool = False,
                 retry_after: float | None = None, blocked: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent or blocked
        self.retry_after = retry_after
        self.blocked = blocked


class Transport(Protocol):
    """A channel's way to deliver one outbox payload to one chat."""

    channel: str

    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None: ...


class Sender:
    def __init__(
        self,
        database: Database,
        transports: Mapping[str, Transport],
        *,
        clock: Callable[[], datetime] = utcnow,
        limiter: RateLimiter | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
        chat: tuple[str, str] | None = None,  # only this (channel, chat id): a terminal chat
    ) -> None:
        self.db = database
        self.chat = chat
        self.transports = transports
        self.clock = clock
        self.limiter: RateLimiter = limiter or LocalRateLimiter(per_second=1000,
                                                                 per_chat_per_second=1000)
        self.lease = lease
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows: send now, not at the next poll."""
        self._wake.set()

    async def drain(self) -> int:
        """Send everything due now; returns the number of messages delivered."""
        delivered = 0
        while True:
            items = await self.db.run(repo.claim_outbox, self.clock(), limit=self.batch,
                                      lease=self.lease, chat=self.chat)
            if not items:
                return delivered
            # Each message is marked sent right after it is sent; marks that land together
            # share one durable commit (on the next turn of the event loop), not one each.
            with group_commits():
                results = await asyncio.gather(*(self._send_one(item) for item in items))
            delivered += sum(results)

    async def _send_one(self, item: repo.OutboxItem) -> bool:
        transport = self.transports.get(item.channel)
        try:
            if transport is None:
                raise SendError(f"no transport for channel {item.channel}", permanent=True)
            await self.limiter.acquire(f"{item.channel}:{item.chat_id}")
            await transport.send(item.chat_id, item.kind, item.payload)
        except SendError as exc:
            await self._record_failure(item, exc)
            return False
        except Exception as exc:  # network and the like: retried
            await self._record_failure(item, SendError(type(exc).__name__))
            return False
        # Marked sent as soon as it is sent, each on its own: a crash after this message
        # and before the rest of the batch does not send this one twice.
        if item.payload.get("erase_when_sent"):  # the goodbye to someone who erased their data
            await self.db.run(repo.delete_outbox, item.id)
        else:
            await self.db.run(repo.mark_sent, [item.id], self.clock())
        return True

    async def _record_failure(self, item: repo.OutboxItem, exc: SendError) -> None:
        """Only a permanent error ends a message (blocked, chat not found, bad request).
        Flood control (429), Telegram's 5xx and the network are retried for as long as it
        takes, with ``retry_after`` or a backoff that grows to MAX_BACKOFF: a reply with
        the emergency numbers, or an alert, is never dropped because Telegram was down."""
        if exc.permanent:
            log.warning("outbox %s failed for good after %s attempts: %s", item.id,
                        item.attempts, exc)
            await self.db.run(self._give_up, item, str(exc), exc.blocked)
        else:
            delay = (exc.retry_after if exc.retry_after is not None
                     else min(MAX_BACKOFF, 2 ** min(item.attempts, 16)))
            await self.db.run(repo.mark_retry, item.id, self.clock() + timedelta(seconds=delay),
                              str(exc))

    @staticmethod
    def _give_up(conn: Connection, item: repo.OutboxItem, error: str, blocked: bool) -> None:
        repo.mark_failed(conn, item.id, error)
        if blocked:
            repo.mark_unreachable(conn, item.channel, item.chat_id)

    async def run(self, stop: asyncio.Event, poll: float = 1.0) -> None:
        """Drain on every wake-up, and every ``poll`` seconds for retries that came due.

        Stops when ``stop`` is set, after the pass in progress: a pass cut between a send
        and its "sent" mark would leave the message leased, holding back the chat's next
        messages until the lease ends, and then sent twice.
        """
        while not stop.is_set():
            self._wake.clear()  # before draining, so a wake-up during the pass is not lost
            try:
                await self.drain()
            except Exception as exc:
                log.error("sender pass failed (%s); retrying", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll)

    def stop_soon(self) -> None:
        self._wake.set()
