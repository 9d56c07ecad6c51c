"""The sender: the only code that sends. It drains the outbox through a transport.

Rows are claimed with a lease, so a sender that dies mid-send leaves them due again; a
transport error is retried with backoff, and a permanent one is recorded on the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from flows.engine import utcnow
from storage import repository as repo
from storage.db import Database

log = logging.getLogger(__name__)


class SendError(Exception):
    """A send that failed. ``permanent`` ones are recorded and never retried."""

    def __init__(self, reason: str, *, permanent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


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
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        batch: int = 100,
    ) -> None:
        self.db = database
        self.transports = transports
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
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
                                      lease=self.lease)
            if not items:
                return delivered
            sent: list[int] = []
            for item in items:
                if await self._send_one(item):
                    sent.append(item.id)
            await self.db.run(repo.mark_sent, sent, self.clock())
            delivered += len(sent)
            if len(items) < self.batch:
                return delivered

    async def _send_one(self, item: repo.OutboxItem) -> bool:
        transport = self.transports.get(item.channel)
        try:
            if transport is None:
                raise SendError(f"no transport for channel {item.channel}", permanent=True)
            await transport.send(item.chat_id, item.kind, item.payload)
            return True
        except SendError as exc:
            await self._record_failure(item, exc)
        except Exception as exc:  # network and the like: retried
            await self._record_failure(item, SendError(type(exc).__name__))
        return False

    async def _record_failure(self, item: repo.OutboxItem, exc: SendError) -> None:
        if exc.permanent or item.attempts >= self.max_attempts:
            log.warning("outbox %s failed for good after %s attempts: %s", item.id,
                        item.attempts, exc)
            await self.db.run(repo.mark_failed, item.id, str(exc))
        else:
            delay = exc.retry_after if exc.retry_after is not None else 2 ** item.attempts
            await self.db.run(repo.mark_retry, item.id, self.clock() + timedelta(seconds=delay),
                              str(exc))

    async def run(self, poll: float = 1.0) -> None:
        """Drain on every wake-up, and every ``poll`` seconds for retries that came due."""
        while True:
            self._wake.clear()  # before draining, so a wake-up during the pass is not lost
            try:
                await self.drain()
            except Exception as exc:
                log.error("sender pass failed (%s); retrying", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll)
