"""The python-telegram-bot adapter (``--transport ptb``), behind the same interface."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.error import (
    Conflict as PtbConflict,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.charts import render_async
from bot.sender import SendError
from bot.telegram.adapter import Conflict, TelegramAdapter, Unauthorized
from bot.telegram.updates import callback_event, keyboard_rows, member_event, message_event

Context = ContextTypes.DEFAULT_TYPE
ALLOWED = ["message", "edited_message", "callback_query", "my_chat_member"]


class _WithholdUpdates(logging.Filter):
    """python-telegram-bot logs the whole batch of updates it could not parse (people's
    words and names) at CRITICAL: the record is kept, its content is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "Received data" in str(record.msg):
            record.msg, record.args = "Error while parsing updates (content withheld)", ()
            record.exc_info = record.exc_text = None
        return True


logging.getLogger("telegram.Bot").addFilter(_WithholdUpdates())


class PtbAdapter(TelegramAdapter):
    name = "ptb"

    def __init__(self, token: str, api_url: str) -> None:
        super().__init__(token, api_url)
        self.bot = Bot(
            token,
            base_url=f"{self.api_url}/bot",
            base_file_url=f"{self.api_url}/file/bot",
            request=HTTPXRequest(connection_pool_size=64, pool_timeout=30.0),
            get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=40.0),
        )
        self.app = Application.builder().bot(self.bot).updater(None).build()
        private = filters.ChatType.PRIVATE
        self.app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE,
                                            self._on_message))
        self.app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE,
                                            self._on_edited))
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_handler(ChatMemberHandler(self._on_member,
                                               ChatMemberHandler.MY_CHAT_MEMBER))

    # Inbound -------------------------------------------------------------------------

    async def _on_message(self, update: Update, _context: Context) -> None:
        assert update.message is not None
        await self.dispatch(message_event(update.message, update.update_id))

    async def _on_edited(self, update: Update, _context: Context) -> None:
        assert update.edited_message is not None
        await self.dispatch(message_event(update.edited_message, update.update_id,
                                          edited=True))

    async def _on_callback(self, update: Update, _context: Context) -> None:
        query = update.callback_query
        assert query is not None
        try:
            await self.dispatch(callback_event(query, update.update_id))
        finally:
            try:  # stop the spinner and close the answered keyboard; best effort
                await query.answer()
                if query.message is not None and getattr(query.message, "reply_markup", None):
                    await query.edit_message_reply_markup(reply_markup=None)
            except Exception:
                pass

    async def _on_member(self, update: Update, _context: Context) -> None:
        assert update.my_chat_member is not None
        await self.dispatch(member_event(update.my_chat_member, update.update_id))

    async def feed(self, update: Any) -> None:
        await self.app.process_update(update)

    async def feed_raw(self, data: dict[str, Any]) -> None:
        update = Update.de_json(data, self.bot)
        if update is not None:
            await self.feed(update)

    async def get_updates(self, offset: int | None, poll_seconds: int) -> list[Any]:
        try:
            return list(await self.bot.get_updates(offset=offset, timeout=poll_seconds,
                                                   allowed_updates=ALLOWED))
        except PtbConflict as exc:
            raise Conflict(str(exc)) from None
        except InvalidToken as exc:
            raise Unauthorized(str(exc)) from None

    # Outbound ------------------------------------------------------------------------

    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
        try:
            if kind == "photo":
                await self._send_photo(chat_id, payload)
            elif kind == "chart":
                try:
                    await self.bot.send_photo(chat_id, await render_async(payload),
                                              caption=payload.get("caption"))
                except InvalidToken:  # no sendPhoto on this server: the words instead
                    await self.bot.send_message(chat_id, payload["fallback_text"])
            elif kind == "copy":  # a returnee's voice message or file, to a case manager
                await self.bot.copy_message(chat_id, payload["from_chat_id"],
                                            int(payload["message_id"]))
            else:
                await self.bot.send_message(chat_id, payload["text"],
                                            reply_markup=self._keyboard(payload))
        except RetryAfter as exc:
            after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            raise SendError("429 Too Many Requests", retry_after=seconds) from None
        except Forbidden:
            raise SendError("403 blocked by the person", blocked=True) from None
        except BadRequest as exc:
            raise SendError(f"rejected: {exc.message}", permanent=True) from None

    async def _send_photo(self, chat_id: str, payload: dict[str, Any]) -> None:
        try:
            photo = await asyncio.to_thread(Path(payload["path"]).read_bytes)
            await self.bot.send_photo(chat_id, photo, caption=payload.get("caption"),
                                      reply_markup=self._keyboard(payload))
        except InvalidToken:
            # PTB reports the server's 404 for an unknown method this way: no sendPhoto
            # here, so the words still reach the person as text.
            await self.bot.send_message(chat_id, payload["fallback_text"],
                                        reply_markup=self._keyboard(payload))

    @staticmethod
    def _keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
        rows = keyboard_rows(payload.get("buttons") or [])
        if not rows:
            return None
        return InlineKeyboardMarkup([
            [InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row]
            for row in rows
        ])

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None
                           ) -> None:
        await self.bot.set_my_commands([BotCommand(n, d) for n, d in commands],
                                       language_code=language)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED)

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook()

    async def open(self) -> str:
        try:
            await self.app.initialize()
        except InvalidToken as exc:
            raise Unauthorized(str(exc)) from None
        return self.bot.username

    async def close(self) -> None:
        await self.app.shutdown()
