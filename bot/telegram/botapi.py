"""The Bot API calls of every button press, posted as they are: sendMessage,
answerCallbackQuery and editMessageReplyMarkup.

Written by hand, beside aiogram, for one reason: cost. aiogram builds a pydantic model of
each call and validates each answer into another (a whole ``Message``, chat and keyboard
included), which the sender then throws away. Those three calls are made for almost every
update, and a sendMessage through aiogram took 0.47 ms of CPU against 0.17 ms posted
directly (``bench/sendpath.py``, the local Bot API server's share in both).
Everything else (reading updates, webhooks, photos, commands) stays with the library.

The request is what aiogram sends (form fields, objects as JSON), so a Bot API server that
serves aiogram serves this; the answer is read as aiogram reads it, and its errors become
the sender's: 429 with ``retry_after``, 403 (blocked), 400 and 404 (the message cannot be
sent, for good); 5xx, 401, a chat that moved and network errors are retried by the sender.
"""

from __future__ import annotations

import json
import math
import ssl
from typing import Any

import aiohttp
import certifi

from bot.sender import SendError

TIMEOUT = aiohttp.ClientTimeout(total=60)  # aiogram's default


class BotApiError(Exception):
    """An answer that is neither a result nor an error the sender knows: retried."""


class BotApiClient:
    def __init__(self, token: str, api_url: str) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Post ``method`` with ``params`` (``None`` values left out, as aiogram does);
        the result, or ``SendError`` for an error the sender acts on."""
        if self._closed:
            raise BotApiError("the client is closed")
        if self._session is None:
            # as aiogram connects: certifi's certificates, DNS answers kept for an hour
            context = ssl.create_default_context(cafile=certifi.where())
            self._session = aiohttp.ClientSession(
                timeout=TIMEOUT, connector=aiohttp.TCPConnector(ssl=context,
                                                                ttl_dns_cache=3600))
        async with self._session.post(self._base + method, data=form_of(params)) as response:
            status, body = response.status, await response.read()
        return answer(status, body)

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()


def form_of(params: dict[str, Any]) -> aiohttp.FormData:
    """The request body as aiogram builds it: form fields, objects as JSON, no ``None``."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in params.items():
        if value is not None:
            form.add_field(name, value if isinstance(value, str) else json.dumps(value))
    return form


def answer(status: int, body: bytes) -> Any:
    """The result of a Bot API answer, or the error it means for the sender, read in
    aiogram's order (``check_response``): the answer's parameters first, then the HTTP
    status. Never quotes the message: the description is Telegram's own text."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BotApiError(f"{status}: not JSON") from None
    if not isinstance(data, dict):
        raise BotApiError(f"{status}: not a Bot API answer")
    if data.get("ok") is True and 200 <= status < 300:
        return data.get("result")
    description = str(data.get("description", ""))
    parameters = data.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    retry_after = parameters.get("retry_after")
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        raise SendError("429 Too Many Requests", retry_after=math.ceil(retry_after))
    if "migrate_to_chat_id" in parameters:  # a group became a supergroup: retried, as before
        raise BotApiError(f"{status}: the chat moved")
    if status == 403:
        raise SendError("403 blocked by the person", blocked=True)
    if status in (400, 404):
        raise SendError(f"rejected: {description}", permanent=True)
    raise BotApiError(f"{status}: {description}")
