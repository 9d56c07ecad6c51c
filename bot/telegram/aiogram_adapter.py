"""The aiogram 3 adapter (the default): aiogram's types and client, one small handler per
kind of update."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.charts import render_async
from bot.sender import SendError
from bot.telegram.adapter import Conflict, TelegramAdapter, Unauthorized
from bot.telegram.botapi import BotApiClient
from bot.telegram.updates import callback_event, keyboard_rows, member_event, message_event


class AiogramAdapter(TelegramAdapter):
    name = "aiogram"

    def __init__(self, token: str, api_url: str) -> None:
        super().__init__(token, api_url)
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.api_url))
        self.bot = Bot(token, session=session)
        self.api = BotApiClient(token, self.api_url)  # the calls of every button press
        # No dispatcher (``feed``), so no FSM either: a conversation's place is in the
        # database (flows). aiogram's FSM would keep an in-memory record for every chat
        # that ever wrote, for the life of the process.

    # Inbound -------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self.dispatch(message_event(message, event_update.update_id))

    async def _on_edited(self, message: Message, event_update: Update) -> None:
        await self.dispatch(message_event(message, event_update.update_id, edited=True))

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        try:
            await self.dispatch(callback_event(query, event_update.update_id))
        finally:
            # Stop the button's spinner, and close the answered keyboard. Best effort.
            try:
                await self.api.call("answerCallbackQuery", {"callback_query_id": query.id})
                if isinstance(query.message, Message) and query.message.reply_markup:
                    await self.api.call("editMessageReplyMarkup", {
                        "chat_id": str(query.message.chat.id),
                        "message_id": str(query.message.message_id),
                        "business_connection_id": query.message.business_connection_id})
            except Exception:  # a missing keyboard must not fail the update
                pass

    async def _on_member(self, update: ChatMemberUpdated, event_update: Update) -> None:
        await self.dispatch(member_event(update, event_update.update_id))

    async def feed(self, update: Any) -> None:
        """One update to its handler. The four handlers are called here, by the kind of
        update, rather than through aiogram's dispatcher: its middlewares and routers, for
        four handlers and no filters but the chat's type, were 5.6 % of a webhook
        process's CPU at 200 updates a second (a profile of ``bench/load.py``). The types
        are aiogram's, parsed and checked as its dispatcher parses them."""
        for field, handler, private_only in (
                ("message", self._on_message, True),
                ("edited_message", self._on_edited, True),
                ("callback_query", self._on_callback, False),  # its chat: callback_event
                ("my_chat_member", self._on_member, True)):
            part = getattr(update, field)
            if part is not None:
                if not private_only or part.chat.type == "private":
                    await handler(part, update)
                return

    async def feed_raw(self, data: dict[str, Any]) -> None:
        await self.feed(Update.model_validate(data, context={"bot": self.bot}))

    async def get_updates(self, offset: int | None, poll_seconds: int) -> list[Any]:
        try:
            return list(await self.bot.get_updates(
                offset=offset, timeout=poll_seconds,
                allowed_updates=["message", "edited_message", "callback_query",
                                 "my_chat_member"],
                request_timeout=poll_seconds + 10,
            ))
        except TelegramConflictError as exc:
            raise Conflict(str(exc)) from None
        except TelegramUnauthorizedError as exc:
            raise Unauthorized(str(exc)) from None

    # Outbound ------------------------------------------------------------------------

    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
        try:
            if kind == "photo":
                await self._send_photo(chat_id, payload)
            elif kind == "chart":
                await self._send_chart(chat_id, payload)
            elif kind == "copy":  # a returnee's voice message or file, to a case manager
                await self.bot.copy_message(chat_id, payload["from_chat_id"],
                                            int(payload["message_id"]))
            else:
                await self.api.call("sendMessage", {"chat_id": chat_id, "text": payload["text"],
                                                    "reply_markup": _markup_json(payload)})
        except TelegramRetryAfter as exc:
            raise SendError("429 Too Many Requests", retry_after=exc.retry_after) from None
        except TelegramForbiddenError:
            raise SendError("403 blocked by the person", blocked=True) from None
        except (TelegramBadRequest, TelegramNotFound) as exc:
            raise SendError(f"rejected: {exc.message}", permanent=True) from None

    async def _send_photo(self, chat_id: str, payload: dict[str, Any]) -> None:
        try:
            await self.bot.send_photo(chat_id, FSInputFile(Path(payload["path"])),
                                      caption=payload.get("caption"),
                                      reply_markup=_keyboard_of(payload))
        except TelegramNotFound:
            # A server without sendPhoto: the words still reach the person.
            await self.bot.send_message(chat_id, payload["fallback_text"],
                                        reply_markup=_keyboard_of(payload))

    async def _send_chart(self, chat_id: str, payload: dict[str, Any]) -> None:
        png = await render_async(payload)
        try:
            await self.bot.send_photo(chat_id, BufferedInputFile(png, "wmodel.png"),
                                      caption=payload.get("caption"))
        except TelegramNotFound:
            await self.bot.send_message(chat_id, payload["fallback_text"])

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None
                           ) -> None:
        await self.bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in commands],
            language_code=language,
        )

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret,
                                   allowed_updates=["message", "edited_message",
                                                    "callback_query", "my_chat_member"])

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook()

    async def open(self) -> str:
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError as exc:
            raise Unauthorized(str(exc)) from None
        return me.username or str(me.id)

    async def close(self) -> None:
        try:
            await self.bot.session.close()
        finally:
            await self.api.close()


@lru_cache(maxsize=1024)
def _markup(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    """A keyboard, built (and validated) once: the same few keyboards (languages, yes/no,
    survey answers) are sent again and again, and building one costs ~8 µs a button.
    Labels are fixed texts, country names and numbers, never a person's words."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=data) for label, data in row]
        for row in rows
    ])


def _rows(payload: dict[str, Any]) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A payload's buttons as rows of (label, data), hashable for the caches below."""
    rows = keyboard_rows(payload.get("buttons") or [])
    return tuple(tuple((b["label"], b["data"]) for b in row) for row in rows)


def _keyboard_of(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = _rows(payload)
    return _markup(rows) if rows else None


def _markup_json(payload: dict[str, Any]) -> str | None:
    """A payload's keyboard as the Bot API takes it (JSON), built once per keyboard."""
    rows = _rows(payload)
    return _markup_text(rows) if rows else None


@lru_cache(maxsize=1024)
def _markup_text(rows: tuple[tuple[tuple[str, str], ...], ...]) -> str:
    return _markup(rows).model_dump_json(exclude_none=True)
