"""What every Telegram adapter does, and the parts they share: polling and commands.

An adapter is thin: it turns updates into Events for the engine, and outbox payloads into
Bot API calls for the sender. Nothing Telegram-specific goes further in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import aiohttp

from bot.telegram.updates import CHANNEL, chat_key
from flows.engine.events import Event, Msg
from flows.l10n.i18n import N_, Catalogs
from storage.db import group_commits

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[Any]]
# The outcomes of the updates processed in the current batch, to know whether Telegram must
# deliver any of them again.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
_outcomes: ContextVar[list[str]] = ContextVar("outcomes")

# The commands shown in Telegram's menu, per language (the engine handles them all).
COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start or continue")),
    ("menu", N_("Main menu")),
    ("help", N_("Talk to a person")),
    ("wmodel", N_("My ups and downs")),
    ("survey", N_("Survey")),
    ("language", N_("Change language")),
    ("privacy", N_("My data and privacy")),
    ("stop", N_("Pause messages")),
    ("resume", N_("Resume messages")),
]


class Conflict(Exception):
    """Another process is already polling this bot (Telegram's 409)."""


class Unauthorized(Exception):
    """Telegram refused the token (401)."""


class TelegramAdapter(ABC):
    channel = CHANNEL
    name: str
    # A polling batch's updates share commits (see process_batch); off only to measure.
    group_commits = True

    def __init__(self, token: str, api_url: str) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self._handler: Handler | None = None

    def bind(self, handler: Handler) -> None:
        """Where Events go: the engine's ``handle``."""
        self._handler = handler

    async def dispatch(self, event: Event | None) -> None:
        if event is not None and self._handler is not None:
            result = await self._handler(event)
            outcomes = _outcomes.get(None)
            if outcomes is not None:
                outcomes.append(str(getattr(result, "outcome", "")))

    @abstractmethod
    async def open(self) -> str:
        """Connect and check the token; returns the bot's username."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def get_updates(self, offset: int | None, poll_seconds: int) -> list[Any]:
        """Long-poll for updates (the library's own objects)."""

    @abstractmethod
    async def feed(self, update: Any) -> None:
        """Process one update (the library's own object) through the library's handlers."""

    @abstractmethod
    async def feed_raw(self, data: dict[str, Any]) -> None:
        """Process one update as JSON, as a webhook receives it."""

    @abstractmethod
    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
        """Deliver one outbox row; raises ``bot.sender.SendError`` on failure."""

    @abstractmethod
    async def set_commands(self, commands: list[tuple[str, str]], language: str | None
                           ) -> None: ...

    @abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None: ...

    @abstractmethod
    async def delete_webhook(self) -> None: ...

    async def publish_commands(self, catalogs: Catalogs) -> None:
        """The command menu in every shipped language; English for everyone else."""
        for language in [None, *catalogs.languages]:
            locale = language or "en"
            commands = [(name, catalogs.render(locale, Msg(text))) for name, text in COMMANDS]
            await self.set_commands(commands, language)

    async def process_batch(self, updates: list[Any]) -> bool:
        """Chats in parallel; within a chat strictly in order. False if any must come again.

        The batch's units of work share commits (``storage.db.group_commits``): each
        update's reply still waits for its own data to be committed.
        """
        by_chat: dict[str, list[Any]] = defaultdict(list)
        for update in updates:
            by_chat[chat_key(update)].append(update)

        async def one_chat(chat_updates: list[Any]) -> None:
            for update in chat_updates:
                await self.feed(update)

        outcomes: list[str] = []
        token = _outcomes.set(outcomes)
        try:
            with group_commits() if self.group_commits else contextlib.nullcontext():
                await asyncio.gather(*(one_chat(u) for u in by_chat.values()))
        finally:
            _outcomes.reset(token)
        return "unavailable" not in outcomes

    async def process_raw(self, data: dict[str, Any]) -> bool:
        """One update as JSON (a webhook's); False if it must be delivered again."""
        outcomes: list[str] = []
        token = _outcomes.set(outcomes)
        try:
            # Webhook requests that arrive together share a commit too.
            with group_commits() if self.group_commits else contextlib.nullcontext():
                await self.feed_raw(data)
        finally:
            _outcomes.reset(token)
        return "unavailable" not in outcomes

    async def _one_by_one(self, offset: int | None) -> int | None:
        """The pending updates fetched as plain JSON and processed one at a time; one that
        cannot be read is logged by its id (never its content) and skipped. Returns the
        offset to go on from, or None when even that fetch failed (the network)."""
        try:
            async with aiohttp.ClientSession() as http, http.post(
                    f"{self.api_url}/bot{self.token}/getUpdates",
                    json={"offset": offset, "timeout": 0, "allowed_updates": ALLOWED_UPDATES},
                    timeout=aiohttp.ClientTimeout(total=30)) as response:
                body = await response.json()
        except Exception:
            return None
        raws = body.get("result") if isinstance(body, dict) else None
        if not isinstance(raws, list) or not raws:
            return None
        moved = offset
        for raw in raws:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                continue
            try:
                processed = await self.process_raw(raw)
            except Exception as exc:
                log.warning("update %s could not be read (%s); skipped", update_id,
                            type(exc).__name__)
                processed = True
            if not processed:
                break  # could not be recorded: from here on, it must come again
            moved = update_id + 1
        return moved

    async def poll(self, stop: asyncio.Event, poll_seconds: int = 25) -> None:
        """Long polling that loses nothing on a crash.

        An update is confirmed to Telegram (by asking for the next offset) only after it
        has been processed and committed; a crash before that means Telegram sends it
        again, and the engine's deduplication ignores what was already done.
        """
        offset: int | None = None
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await self.get_updates(offset, poll_seconds)
            except (Conflict, Unauthorized):
                raise
            except Exception as exc:
                # One update the library cannot read fails the whole batch: read them one
                # by one, skip what cannot be read, so that polling never stops for good.
                moved = await self._one_by_one(offset)
                if moved is not None:
                    offset, backoff = moved, 1.0
                    continue
                log.warning("getUpdates failed (%s); retrying in %.0f s", type(exc).__name__,
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            if updates and not await self.process_batch(updates):
                # Nothing could be recorded for some of them: ask for the same batch again
                # (what was recorded is deduplicated).
                log.warning("updates could not be recorded; retrying in %.0f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            backoff = 1.0
            if updates:
                offset = max(u.update_id for u in updates) + 1
