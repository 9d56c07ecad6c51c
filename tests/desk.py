"""A desk of chats on one engine, for the case-manager and follow-up tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sender import Sender
from flows.casework.staff import invite_hash
from flows.engine.engine import Engine
from flows.engine.events import Event, EventKind
from flows.l10n.i18n import Catalogs
from storage import casework
from storage.db import Database
from storage.models import AuditEntry, Escalation
from tests.conftest import FakeClock, RecordingTransport

RETURNEE, CM, CM2, SUPERVISOR, OTHER_CM, STRANGER = "r1", "cm1", "cm2", "sup1", "cmx", "zz9"


class Desk:
    """Several chats on one engine: returnees and staff."""

    def __init__(self, database: Database, catalogs: Catalogs, clock: FakeClock) -> None:
        self.db = database
        self.clock = clock
        self.catalogs = catalogs
        self.transport = RecordingTransport()
        self.sender = Sender(database, {"test": self.transport}, clock=clock)
        self.engine = self.new_engine()
        self.update = 0
        self.seen: dict[str, int] = {}

    def new_engine(self) -> Engine:
        return Engine(self.db, self.catalogs, clock=self.clock)

    def event(self, chat: str, kind: EventKind, **kw: Any) -> Event:
        self.update += 1
        return Event("test", chat, kind, update_id=self.update, **kw)

    async def run(self, event: Event, engine: Engine | None = None) -> None:
        await (engine or self.engine).handle(event)
        await self.sender.drain()

    async def say(self, chat: str, text: str, **kw: Any) -> list[dict[str, Any]]:
        """What this chat was sent in answer (earlier, unread messages are skipped)."""
        parsed = Event.from_text("test", chat, text)
        self.new_for(chat)
        await self.run(self.event(chat, parsed.kind, text=parsed.text, command=parsed.command,
                                  args=parsed.args, **kw))
        return self.new_for(chat)

    async def press(self, chat: str, payload: str) -> list[dict[str, Any]]:
        self.new_for(chat)
        await self.run(self.event(chat, EventKind.BUTTON, payload=payload))
        return self.new_for(chat)

    def inbox(self, chat: str) -> list[dict[str, Any]]:
        return [p for c, p in self.transport.sent if c == chat]

    def new_for(self, chat: str) -> list[dict[str, Any]]:
        messages = self.inbox(chat)
        start = self.seen.get(chat, 0)
        self.seen[chat] = len(messages)
        return messages[start:]

    async def join(self, chat: str, role: str, country: str | None, lang: str = "en") -> None:
        code = f"code-{chat}"
        await self.db.run(casework.create_invite, code_hash=invite_hash(code), role=role,
                          country=country, languages=[lang], now=self.clock(),
                          valid_for=timedelta(days=7))
        [welcome] = await self.say(chat, f"/start staff-{code}")
        assert "registered as" in welcome["text"] or "inscrit" in welcome["text"]

    async def onboard(self, chat: str = RETURNEE, *, share: bool = True) -> None:
        await self.say(chat, "/start")
        for payload in ("lang:en", "next", "yes", "yes" if share else "no"):
            await self.press(chat, payload)
        await self.say(chat, "Senegal")
        await self.press(chat, "yes")
        await self.say(chat, "14/03/2026")
        await self.press(chat, "pick:2026-03-14")  # the date said back: that is right
        self.new_for(chat)

    async def count(self, model: Any) -> int:
        async with self.db.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(model)) or 0)

    async def escalations(self) -> list[Escalation]:
        async with self.db.sessions() as s:
            return list((await s.scalars(select(Escalation).order_by(Escalation.id))).all())

    async def audit(self) -> list[str]:
        async with self.db.sessions() as s:
            return [a.action for a in (await s.scalars(select(AuditEntry)
                                                       .order_by(AuditEntry.id))).all()]


@pytest.fixture
async def desk(database: Database, catalogs: Catalogs, clock: FakeClock) -> Desk:
    office = Desk(database, catalogs, clock)
    await office.join(CM, "case_manager", "SN", "fr")
    await office.join(CM2, "case_manager", "SN")
    await office.join(SUPERVISOR, "supervisor", "SN")
    await office.join(OTHER_CM, "case_manager", "AF")
    await office.onboard()
    return office


