"""Telegram updates → Events, shared by both adapters.

aiogram and python-telegram-bot both model the Bot API with its own field names
(``message.chat.id``, ``callback_query.data``, ...), so one translation reads either
library's objects. Only private chats are conversations with a returnee.
"""

from __future__ import annotations

from typing import Any

from flows.engine.events import Event, EventKind

CHANNEL = "telegram"
MEDIA_FIELDS = (
    ("voice", "voice"), ("audio", "audio"), ("video_note", "voice"), ("video", "video"),
    ("photo", "photo"), ("document", "document"), ("sticker", "sticker"),
    ("location", "location"), ("contact", "contact"),
)


def _hint(user: Any) -> str | None:
    return getattr(user, "language_code", None) if user is not None else None


def message_event(message: Any, update_id: int, *, edited: bool = False) -> Event | None:
    """A message, edited or not, from a private chat; None for anything else."""
    chat = message.chat
    if chat.type != "private":
        return None
    chat_id = str(chat.id)
    hint = _hint(message.from_user)
    if message.text is not None:
        if edited:
            return Event(CHANNEL, chat_id, EventKind.TEXT, text=message.text.strip(),
                         update_id=update_id, locale_hint=hint, edited=True)
        return Event.from_text(CHANNEL, chat_id, message.text, update_id=update_id,
                               locale_hint=hint)
    media = next((kind for field, kind in MEDIA_FIELDS if getattr(message, field, None)),
                 "other")
    return Event(CHANNEL, chat_id, EventKind.MEDIA, media=media, update_id=update_id,
                 locale_hint=hint, edited=edited, ref=str(message.message_id))


def callback_event(query: Any, update_id: int) -> Event | None:
    """An inline button press. Its data comes from the client: the engine checks it."""
    message = query.message
    if message is not None and message.chat.type != "private":
        return None
    chat_id = str(message.chat.id if message is not None else query.from_user.id)
    return Event(CHANNEL, chat_id, EventKind.BUTTON, payload=query.data or "",
                 update_id=update_id, locale_hint=_hint(query.from_user))


def member_event(member_update: Any, update_id: int) -> Event | None:
    """The person blocked ("kicked") or unblocked the bot in their private chat."""
    if member_update.chat.type != "private":
        return None
    status = member_update.new_chat_member.status
    kind = EventKind.BLOCKED if status == "kicked" else EventKind.UNBLOCKED
    return Event(CHANNEL, str(member_update.chat.id), kind, update_id=update_id)


def chat_key(update: Any) -> str:
    """Which chat an update belongs to, to keep each chat's updates in order."""
    for field in ("message", "edited_message", "my_chat_member"):
        part = getattr(update, field, None)
        if part is not None:
            return str(part.chat.id)
    query = getattr(update, "callback_query", None)
    if query is not None:
        return str(query.message.chat.id if query.message is not None else query.from_user.id)
    return f"update:{update.update_id}"


def keyboard_rows(buttons: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """One button per row (labels in some languages are long, and phones are narrow), except
    runs of very short labels (numbers), up to five in a row."""
    rows: list[list[dict[str, str]]] = []
    for button in buttons:
        if len(button["data"].encode()) > 64:
            raise ValueError("callback data longer than Telegram's 64 bytes")
        short = len(button["label"]) <= SHORT_LABEL
        if short and rows and len(rows[-1]) < PER_ROW and all(
                len(b["label"]) <= SHORT_LABEL for b in rows[-1]):
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


SHORT_LABEL = 3
PER_ROW = 5
