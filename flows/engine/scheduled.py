"""Scheduled work the runtime calls on a timer: follow-ups due, surveys left too long,
delivered messages to purge, deadlines missed. Apart from the conductor (``engine.py``),
which handles one update; each call is one unit of work of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage import repository as repo
from storage.db import Database

if TYPE_CHECKING:
    from flows.engine.context import Context
    from flows.followups.delivery import FollowUpDelivery
    from flows.followups.followups import NextCheckIn


class ScheduledWork:
    """Mixed into ``Engine``: what runs on a timer rather than for an update."""

    db: Database
    ctx: Context
    delivery: FollowUpDelivery
    clock: Callable[[], datetime]
    on_commit: Callable[[], None] | None

    async def run_followups(self, chunk: int = 100) -> int:
        """Deliver due check-ins and reminders, and tell case managers of due sessions."""
        return await self.delivery.run(chunk)

    async def expire_surveys(self) -> int:
        """Erase the answers of surveys left unfinished longer than the window, and tell the
        person (unless they paused messages or blocked the bot: they are told if they open
        the survey again, since nothing is then left to continue)."""
        expired = await self.db.run(self.delivery.expire_surveys, self.clock())
        if expired and self.on_commit is not None:
            self.on_commit()
        return expired

    async def purge_outbox(self, keep: timedelta) -> int:
        """Delete delivered messages older than ``keep``."""
        return await self.db.run(repo.purge_sent, self.clock() - keep)

    async def sweep(self) -> int:
        """Re-alert case managers about escalations past their acknowledgement deadline, and
        other staff about urgent messages Telegram has not delivered in time."""
        alerted = await self.db.run(self.ctx.casework.sweep, self.clock())
        alerted += await self.db.run(self.ctx.casework.sweep_screenings, self.clock())
        alerted += await self.db.run(self.ctx.casework.sweep_undelivered, self.clock())
        if alerted and self.on_commit is not None:
            self.on_commit()
        return alerted

    async def next_checkin(self, channel: str, chat_id: str) -> NextCheckIn:
        """When this chat's next check-in arrives (``FollowUpPlanner.next_checkin``)."""
        return await self.db.run(self.ctx.planner.next_checkin, channel, chat_id, self.clock())

