"""The sender: the only code that sends. It drains the outbox through a transport.

Rows are claimed with a lease, so a sender that dies mid-send leaves them due again; each
sender beats (``storage.workers``) so that the rows of one that died are due again within
seconds, not when the lease ends, and a new sender frees them as it starts. Each
send waits for the rate limiter (global and per chat); a 429 is retried after the time the
server asks for, network errors with exponential backoff; a permanent error is recorded on
the row and never retried; a person who blocked the bot is marked unreachable.

In the production layout web processes receive and workers send: a receiver's sender with
a way to wake the workers (``hand_off``, ``bot.wakeup``) hands its wake-ups to them while
a worker's beat is recent, and sends nothing itself; when no worker has beaten for
``workers.DEAD_AFTER`` it sends again, so a layout whose workers all died still delivers.
Receiving and sending then each have a core of their own instead of sharing one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.ratelimit import LocalRateLimiter, RateLimiter
from flows.engine.engine import utcnow
from storage import repository as repo
from storage import workers
from storage.db import Connection, Database, group_commits, is_transient

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0  # seconds between tries of a message Telegram keeps refusing for now
BUNDLE_AFTER_WAIT = 0.05  # seconds waited for the pace after which a bundle is grown again
# Units that mark and claim begin at most this often (seconds): a send that ends, or a row
# queued, meanwhile waits for the next. Idle, one was begun for every send that ended: in a
# worker that did little else, a transaction of four round trips per message.
SETTLE_EVERY = 0.015
MARK_WAITS = (0.1, 0.3, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # a "sent" mark the database refused


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
        worker: bool = False,  # a worker's sender: it sends what the receivers queue
    ) -> None:
        self.db = database
        self.chat = chat
        self.transports = transports
        self.clock = clock
        self.limiter: RateLimiter = limiter or LocalRateLimiter(per_second=1000,
                                                                 per_chat_per_second=1000)
        self.lease = lease
        self.batch = batch
        self.id = secrets.token_hex(8)  # whose leases these are (storage.workers)
        self.worker = worker
        self.hand_off: Callable[[], None] | None = None  # wakes the workers (bot.wakeup)
        self.workers_send = False  # a worker is alive and this sender leaves it the sending
        self._stopping = False
        self._poll = 1.0
        self._came_round = time.monotonic()  # when the sending loop last had room (monotonic)
        self._withdrawn: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._settled = 0.0  # when the last unit marking and claiming began (monotonic)

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows: send now, not at the next poll
        (here, or in a worker while one is alive)."""
        if self.workers_send and self.hand_off is not None:
            self.hand_off()
        else:
            self._wake.set()

    async def drain(self, poll: float = 1.0) -> int:
        """Send everything due now; returns the number of messages delivered.

        A pipeline, not batches: due rows are claimed again as soon as any send ends (or new
        rows are written, or every ``poll`` seconds), so a chat that must wait for its pace
        or a retry never holds back the others. Each message is marked sent as soon as it
        is sent: the sends that ended together are marked in the unit of work that claims
        the next rows (one transaction, not one to mark and one to claim: on PostgreSQL
        that was 4 round trips of an update's ~20; the chat's next message, waiting behind
        the one just sent, is claimed in the same unit).
        """
        delivered = 0
        sending: set[asyncio.Task[repo.OutboxItem | None]] = set()
        sent: list[repo.OutboxItem] = []  # delivered, to be marked
        with group_commits():
            while True:
                self._wake.clear()
                # Stopping: what is in flight finishes (a send and its mark belong together),
                # nothing new is taken.
                room = 0 if self._stopping or self.workers_send else self.batch - len(sending)
                if room > 0:
                    self._came_round = time.monotonic()
                try:
                    items = await self._settle(sent, room) if sent or room > 0 else []
                except Exception:
                    # The claim failed: the sends that ended are still marked (else they
                    # would go again after their lease), and those in flight finish first.
                    if sent:
                        await self._settle(sent, 0)
                    if not sending:
                        raise
                    log.error("claiming due messages failed (%s); the sends in flight go on",
                              type(sys.exc_info()[1]).__name__)
                    items = []
                delivered += len(sent)
                sent = []
                sending.update(asyncio.create_task(self._send_one(item)) for item in items)
                if not sending:
                    return delivered
                woken = asyncio.create_task(self._wake.wait())
                await asyncio.wait({*sending, woken}, timeout=poll,
                                   return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                # What ends, or is queued, within SETTLE_EVERY of the last unit goes in the
                # next one: under load one unit marks and claims many, not one each.
                pause = self._settled + SETTLE_EVERY - time.monotonic()
                if pause > 0 and not self._stopping:
                    await asyncio.sleep(pause)
                for task in [task for task in sending if task.done()]:
                    sending.discard(task)
                    if task.exception() is not None:
                        log.error("a send failed (%s)", type(task.exception()).__name__)
                    elif (item := task.result()) is not None:
                        sent.append(item)

    async def _send_one(self, item: repo.OutboxItem) -> repo.OutboxItem | None:
        """Send one message; the item sent (to be marked), or None if it was not."""
        transport = self.transports.get(item.channel)
        try:
            if transport is None:
                raise SendError(f"no transport for channel {item.channel}", permanent=True)
            waited = await self.limiter.acquire(f"{item.channel}:{item.chat_id}")
            if item.bundle is not None and waited >= BUNDLE_AFTER_WAIT:
                # alerts queued while this one waited for the chat's pace go with it. The
                # claim bundled those queued before; after a wait of milliseconds (the
                # global pace) there are none to add, and the send does not wait on a unit
                # of work of its own, so the sends of one claim go in its order: an
                # assigned case manager's alert before the team's.
                item = await self.db.run(repo.grow_bundle, item, self.clock(),
                                         lease=self.lease, sender=self.id)
            await transport.send(item.chat_id, item.kind, item.payload)
        except SendError as exc:
            await self._record_failure(item, exc)
            return None
        except Exception as exc:  # network and the like: retried
            await self._record_failure(item, SendError(type(exc).__name__))
            return None
        return item

    async def _settle(self, sent: list[repo.OutboxItem], room: int) -> list[repo.OutboxItem]:
        """Mark ``sent`` delivered and claim up to ``room`` due rows, in one unit of work.

        Marks are retried while the database is unavailable. A mark lost to a lock or a
        restart left the row leased, and it was sent again when the lease ended: with SQLite
        held locked for 8 s (bench/chaos.py), the rows already claimed are sent meanwhile
        and their marks gave up after the 5 s busy timeout. Given up after about a lease's
        time: by then the rows are due again anyway."""
        waits = list(MARK_WAITS)
        self._settled = time.monotonic()
        while True:
            try:
                return await self.db.run(self._mark_and_claim, sent, self.clock(), room)
            except Exception as exc:
                if not sent or not waits or not is_transient(exc):
                    raise
                log.warning("%s message(s) sent, but their marks failed (%s); trying again",
                            len(sent), type(exc).__name__)
                await asyncio.sleep(waits.pop(0))

    def _mark_and_claim(self, conn: Connection, sent: list[repo.OutboxItem], now: datetime,
                        room: int) -> list[repo.OutboxItem]:
        marks = [i for item in sent if not item.payload.get("erase_when_sent")
                 for i in item.ids]
        for item in sent:
            if item.payload.get("erase_when_sent"):  # the goodbye to someone who erased
                repo.delete_outbox(conn, item.id)  # their data
        if marks:
            repo.mark_sent(conn, marks, now)
        if room <= 0:
            return []
        return repo.claim_outbox(conn, now, limit=room, lease=self.lease, sender=self.id,
                                 chat=self.chat)

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
            await self.db.run(repo.mark_retry, item.ids,
                              self.clock() + timedelta(seconds=delay), str(exc))

    def _give_up(self, conn: Connection, item: repo.OutboxItem, error: str,
                 blocked: bool) -> None:
        repo.mark_failed(conn, item.ids, error, self.clock())
        if blocked:
            repo.mark_unreachable(conn, item.channel, item.chat_id)

    async def run(self, stop: asyncio.Event, poll: float = 1.0, beat: float = 1.0) -> None:
        """Drain on every wake-up, and every ``poll`` seconds for retries that came due;
        beat every ``beat`` seconds, freeing the leases of senders that stopped beating.

        Stops when ``stop`` is set, after the pass in progress: a pass cut between a send
        and its "sent" mark would leave the message leased, and then sent twice.
        """
        self._poll = poll
        # Beats go on until the last pass has ended: a sender still finishing its sends is
        # alive, and its rows are not taken over (and sent again) meanwhile.
        beating = asyncio.create_task(self._beat(beat))
        try:
            while not stop.is_set():
                self._came_round = time.monotonic()
                self._wake.clear()  # before draining, so a wake-up during the pass is kept
                try:
                    if not self.workers_send:
                        await self.drain(poll)
                except Exception as exc:
                    log.error("sender pass failed (%s); retrying", type(exc).__name__)
                if self._stopping or stop.is_set():
                    break  # asked to stop during the pass (which took its wake-up)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll)
        finally:
            beating.cancel()
            with contextlib.suppress(Exception):
                if self._withdrawn is not None:
                    await self._withdrawn
            with contextlib.suppress(Exception):
                await self.db.run(workers.leave, self.id, self.clock())

    async def _beat(self, every: float) -> None:
        """Beat, and free the rows of senders that stopped beating.

        The time of a beat is read when its unit runs, not when it was asked for: a beat
        held up by a locked database (SQLite held for 8 s in bench/chaos.py) could write a
        time already 5 s old, and the sender then took itself for dead and sent the rows it
        had in flight a second time; its own rows are never reclaimed by it either. Nor does a
        sender judge others right after its own beats were held up (its previous beat more
        than three beats ago): theirs were held up too."""
        last: float | None = None  # when this sender's previous beat landed (monotonic)
        while True:
            try:
                self._workers_alive(await self.db.run(self._beat_now))
                landed, previous, last = time.monotonic(), last, time.monotonic()
                regular = previous is not None and landed - previous < 3 * every
                if regular and await self.db.run(workers.reclaim, self.clock(), by=self.id):
                    self.wake()  # a chat held by a dead sender goes on now
            except Exception as exc:
                log.warning("sender heartbeat failed (%s)", type(exc).__name__)
                self._workers_alive(False)  # not known alive: send, rather than trust
            await asyncio.sleep(every)

    def _sending_for_all(self) -> bool:
        """A worker's sender says it sends for every process only while its sending loop
        comes round with room to take rows: not once stopping, nor while stuck (a claim
        waiting on a lock, every send slot hung), when the receivers had better send."""
        return (self.worker and not self._stopping
                and time.monotonic() - self._came_round < 3 * max(self._poll, 1.0))

    def _beat_now(self, conn: Connection) -> bool:
        """Beat; and whether a worker is alive to send (asked by receivers that can wake
        one, in the same unit)."""
        workers.beat(conn, self.id, self.clock(), worker=self._sending_for_all())
        return (self.hand_off is not None and not self.worker
                and workers.worker_alive(conn, self.clock()))

    def _workers_alive(self, alive: bool) -> None:
        if alive != self.workers_send:
            if alive:
                log.info("a worker is alive: it sends, this process receives")
                if self.hand_off is not None:
                    self.hand_off()  # what this process was about to send goes there
            else:
                log.warning("no worker is alive: this process sends")
                self._wake.set()  # what was queued for the workers goes now
        self.workers_send = alive

    def stop_soon(self) -> None:
        self._stopping = True
        self._wake.set()
        if self.worker:  # the receivers send again at once, not when its beats go stale
            self._withdrawn = asyncio.get_running_loop().create_task(
                self.db.run(workers.beat, self.id, self.clock(), worker=False))
