"""A local Bot API server for the benches: the test server (``tests/fake_telegram.py``) with
what a load or chaos run needs on top.

- Every message delivered is reported (``on_send``) with the time it arrived.
- Updates are kept until confirmed, as Telegram does: by ``getUpdates`` with a higher offset
  (long polling), or, in webhook mode, posted to the bot's webhook and posted again until it
  answers 2xx (``deliver``).
- Faults on demand: 429 storms (``storm``) and a share of 5xx answers (``error_rate``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.fake_telegram import TOKEN, Call, FakeTelegram

__all__ = ["TOKEN", "BotApi"]
SENDS = ("sendMessage", "copyMessage", "sendPhoto")


class BotApi(FakeTelegram):
    def __init__(self, *, keep_calls: bool = False) -> None:
        super().__init__()
        self.on_send: Callable[[int, str, dict[str, Any]], None] | None = None
        self.keep_calls = keep_calls  # the tests' record of every call (grows for ever)
        self.storm_until = 0.0
        self.storm_retry_after = 5
        self.error_rate = 0.0
        self.refused = 0
        self.webhook: tuple[str, str] | None = None
        self.webhooks_set = 0
        self.getmes = 0
        self.getme_times: list[float] = []
        self._outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._posters: list[asyncio.Task[None]] = []

    def storm(self, seconds: float, retry_after: int = 5) -> None:
        """Flood control for every send during ``seconds``."""
        self.storm_until = time.monotonic() + seconds
        self.storm_retry_after = retry_after

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method in SENDS:
            now = time.monotonic()
            if now < self.storm_until:
                self.refused += 1
                return self._error(429, "Too Many Requests: retry later",
                                   self.storm_retry_after)
            if self.error_rate and random.random() < self.error_rate:
                self.refused += 1
                return self._error(502, "Bad Gateway")
            params = await self._params(request)
            if method == "sendMessage":
                result = await self._m_sendmessage(params)
            else:
                result = {"message_id": self.next_message_id}
                self.next_message_id += 1
            if self.on_send is not None:
                self.on_send(int(params["chat_id"]), method, params)
            if self.keep_calls:
                self.calls.append(Call(method, params, now))
            return web.json_response({"ok": True, "result": result})
        if method == "setWebhook":
            params = await self._params(request)
            self.webhook = (str(params["url"]), str(params.get("secret_token", "")))
            self.webhooks_set += 1
        if method == "getMe":
            self.getmes += 1
            self.getme_times.append(time.monotonic())
        response = await super()._handle(request)
        if not self.keep_calls:
            self.calls.clear()
        return response

    # Webhook mode ------------------------------------------------------------------------

    def queue(self, update: dict[str, Any]) -> int:
        """An update for the bot: by getUpdates, or posted to its webhook once set."""
        self.next_update_id += 1
        update = {"update_id": self.next_update_id, **update}
        if self.webhook is not None and self._posters:
            self._outgoing.put_nowait(update)
        else:
            self.updates.append(update)
            self._new_update.set()
        return self.next_update_id

    def deliver(self, connections: int = 40) -> None:
        """Post updates to the webhook (as Telegram does, over up to ``connections`` at
        once), each again until the bot answers 2xx."""
        for _ in range(connections):
            self._posters.append(asyncio.create_task(self._post_loop()))

    async def _post_loop(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=30)) as session:
            while True:
                update = await self._outgoing.get()
                while True:
                    assert self.webhook is not None
                    url, secret = self.webhook
                    try:
                        async with session.post(url, json=update, headers={
                                "X-Telegram-Bot-Api-Secret-Token": secret}) as response:
                            if response.status < 300 or response.status == 400:
                                break  # 400: refused for good (Telegram drops it too)
                    except Exception:
                        pass
                    await asyncio.sleep(0.2)

    async def stop(self) -> None:
        for task in self._posters:
            task.cancel()
        await super().stop()

    # Updates -----------------------------------------------------------------------------

    @staticmethod
    def button(chat_id: int, data: str, lang: str = "en") -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Returnee", "language_code": lang}
        return {"callback_query": {
            "id": f"{chat_id}-{time.monotonic_ns()}", "chat_instance": "ci", "data": data,
            "from": user, "message": {
                "message_id": 1, "date": int(time.time()), "text": "…",
                "chat": {"id": chat_id, "type": "private", "first_name": "R"},
                "from": {"id": 1, "is_bot": True, "first_name": "Homecoming"}}}}
