"""The Bot API calls of every button press, posted as they are: sendMessage,
answerCallbackQuery and editMessageReplyMarkup.

Written by hand, beside aiogram, for one reason: cost. aiogram builds a pydantic model of
each call and validates each answer into another (a whole ``Message``, chat and keyboard
included), which the sender then throws away. Those three calls are made for almost every
update, and through aiogram they took 0.18 ms of CPU more each than the same request posted
directly (``bench/sendpath.py``): about a sixth of what a process spends on a button press.
Everything else (reading updates, webhooks, photos, commands) stays with the library.

The request is what aiogram sends (form fields, objects as JSON), so a Bot API server that
serves aiogram serves this; the answer is read as aiogram reads it, and its errors become
the sender's: 429 with ``retry_after``, 403 (blocked), 400 and 404 (the message cannot be
sent, for good); 5xx, 401 and network errors are retried by the sender.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.sender import SendError

TIMEOUT = aiohttp.ClientTimeout(total=60)  # aiogram's default


class BotApiError(Exception):
    """An answer that is neither a result nor an error the sender knows: retried."""


class BotApiClient:
    def __init__(self, token: str, api_url: str) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._session: aiohttp.ClientSession | None = None

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Post ``method`` with ``params`` (``None`` values left out, as aiogram does);
        the result, or ``SendError`` for an error the sender acts on."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        form = aiohttp.FormData(quote_fields=False)
        for name, value in params.items():
            if value is not None:
                form.add_field(name, value if isinstance(value, str) else json.dumps(value))
        async with self._session.post(self._base + method, data=form) as response:
            status, body = response.status, await response.read()
        return answer(status, body)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def answer(status: int, body: bytes) -> Any:
    """The result of a Bot API answer, or the error it means for the sender. Never quotes
    the message: the description is Telegram's own text."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BotApiError(f"{status}: not JSON") from None
    if not isinstance(data, dict):
        raise BotApiError(f"{status}: not a Bot API answer")
    if data.get("ok") is True and 200 <= status < 300:
        return data.get("result")
    code = data.get("error_code", status)
    description = str(data.get("description", ""))
    parameters = data.get("parameters") or {}
    if code == 429:
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise SendError("429 Too Many Requests",
                        retry_after=int(retry_after) if isinstance(retry_after, int) else None)
    if code == 403:
        raise SendError("403 blocked by the person", blocked=True)
    if code in (400, 404):
        raise SendError(f"rejected: {description}", permanent=True)
    raise BotApiError(f"{code}: {description}")
