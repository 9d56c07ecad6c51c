"""A Bot API server for tests, on localhost: HTTP and JSON like Telegram's.

It records every call, queues updates for getUpdates, and can be told to answer 429 with
``retry_after``, 403 for a blocked chat, or 404 for a method it "does not support".
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAHomecomingTestTokenForTheFakeServer0"
BOT_ID = 123456789


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Failure:
    method: str
    status: int
    description: str
    times: int
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    unsupported: set[str] = field(default_factory=set)
    next_update_id: int = 1000
    next_message_id: int = 1
    url: str = ""
    _runner: web.AppRunner | None = None
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)

    # Server ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                try:
                    params[key] = json.loads(value) if value[:1] in "{[" else value
                except ValueError:
                    params[key] = value
            else:
                params[key] = f"<file {getattr(value, 'filename', '?')}>"
        for key, value in request.query.items():
            params.setdefault(key, value)
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if method in self.unsupported or handler is None:
            call.status = 404
            return self._error(404, "Not Found")
        for failure in self.failures:
            if failure.method == method and failure.times > 0:
                failure.times -= 1
                call.status = failure.status
                return self._error(failure.status, failure.description, failure.retry_after)
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked:
            call.status = 403
            return self._error(403, "Forbidden: bot was blocked by the user")
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    # Methods ---------------------------------------------------------------------------

    async def _m_getme(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Homecoming",
                "username": "homecoming_test_bot", "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_getupdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(p.get("timeout") or 0), 0.5)
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return list(self.updates[:100])

    def _message(self, chat_id: Any, **extra: Any) -> dict[str, Any]:
        self.next_message_id += 1
        return {"message_id": self.next_message_id, "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private", "first_name": "R"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Homecoming"}, **extra}

    async def _m_sendmessage(self, p: dict[str, Any]) -> dict[str, Any]:
        extra = {"text": p["text"]}
        if p.get("reply_markup"):
            extra["reply_markup"] = p["reply_markup"]
        return self._message(p["chat_id"], **extra)

    async def _m_sendphoto(self, p: dict[str, Any]) -> dict[str, Any]:
        photo = [{"file_id": "f1", "file_unique_id": "u1", "width": 800, "height": 600}]
        return self._message(p["chat_id"], photo=photo, caption=p.get("caption"))

    async def _m_copymessage(self, p: dict[str, Any]) -> dict[str, Any]:
        self.next_message_id += 1
        return {"message_id": self.next_message_id}

    async def _true(self, _p: dict[str, Any]) -> bool:
        return True

    _m_answercallbackquery = _m_setmycommands = _m_setwebhook = _m_deletewebhook = _true
    _m_editmessagereplymarkup = _true

    # Test helpers ----------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        self.next_update_id += 1
        update = {"update_id": self.next_update_id, **update}
        self.updates.append(update)
        self._new_update.set()
        return self.next_update_id

    def last_update(self) -> dict[str, Any]:
        return self.updates[-1]

    @staticmethod
    def _user(chat_id: int, lang: str) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Returnee", "language_code": lang}

    def text_update(self, chat_id: int, text: str, lang: str = "en") -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": 1, "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "Returnee"},
            "from": self._user(chat_id, lang),
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return {"message": message}

    def send_text(self, chat_id: int, text: str, lang: str = "en") -> int:
        return self.push(self.text_update(chat_id, text, lang))

    def press(self, chat_id: int, data: str, lang: str = "en") -> int:
        sent = [c for c in self.calls if c.method == "sendMessage"
                and int(c.params["chat_id"]) == chat_id]
        message = self._message(chat_id, text="…")
        if sent and sent[-1].params.get("reply_markup"):
            message["reply_markup"] = sent[-1].params["reply_markup"]
        return self.push({"callback_query": {
            "id": str(self.next_update_id), "chat_instance": "ci", "data": data,
            "from": self._user(chat_id, lang), "message": message,
        }})

    def send_voice(self, chat_id: int) -> int:
        update = self.text_update(chat_id, "x")
        del update["message"]["text"]
        update["message"]["voice"] = {"file_id": "v1", "file_unique_id": "v1", "duration": 3}
        return self.push(update)

    def member(self, chat_id: int, status: str) -> int:
        user = self._user(chat_id, "en")
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Homecoming"}
        return self.push({"my_chat_member": {
            "chat": {"id": chat_id, "type": "private", "first_name": "Returnee"},
            "from": user, "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot, "until_date": 0}
            if status == "kicked" else {"status": status, "user": bot},
        }})

    def fail(self, method: str, status: int, description: str, times: int = 1,
             retry_after: int | None = None) -> None:
        self.failures.append(Failure(method, status, description, times, retry_after))

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Successful sends (the failures injected are recorded as calls, not as sent)."""
        return [c for c in self.calls if c.method == method and c.status == 200
                and (chat_id is None or int(c.params["chat_id"]) == chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    async def wait_for(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                methods = [c.method for c in self.calls][-20:]
                raise AssertionError(f"timed out waiting; last calls: {methods}")
            await asyncio.sleep(0.02)
