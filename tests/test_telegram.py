"""One contract for both Telegram adapters, end to end over HTTP against a local Bot API."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.ratelimit import LocalRateLimiter
from bot.run import make_adapter, serve
from bot.settings import Settings, load_settings
from storage.db import Database
from storage.models import OutboxMessage, Participant
from tests.fake_telegram import TOKEN, FakeTelegram

CHAT = 5551001


class Bot:
    """`homecoming run` in a background task, against the fake server."""

    def __init__(self, fake: FakeTelegram, transport: str, tmp_path: Path) -> None:
        self.fake = fake
        self.transport = transport
        self.db_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(database_url=self.db_url, telegram_token=TOKEN,
                             telegram_api_url=self.fake.url, **overrides)

    async def start(self, per_chat: float = 50.0, **kw: Any) -> None:
        settings = self.settings(**kw.pop("settings", {}))
        self.stop_event = asyncio.Event()
        limiter = LocalRateLimiter(per_second=200, per_chat_per_second=per_chat)
        self.task = asyncio.create_task(serve(
            settings, make_adapter(settings, self.transport), self.stop_event,
            limiter=limiter, sender_poll=0.05, **kw))
        await self.fake.wait_for(lambda: any(c.method in ("deleteWebhook", "setWebhook")
                                             for c in self.fake.calls[self._mark:]))

    _mark = 0

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
            self.task = None
        self._mark = len(self.fake.calls)

    async def replies(self, chat_id: int, count: int) -> list[str]:
        await self.fake.wait_for(lambda: len(self.fake.texts(chat_id)) >= count)
        return self.fake.texts(chat_id)

    async def participant(self, chat_id: int = CHAT) -> Participant | None:
        db = Database(self.db_url)
        try:
            async with db.sessions() as s:
                return await s.scalar(select(Participant).where(
                    Participant.chat_id == str(chat_id)))
        finally:
            await db.dispose()

    async def outbox(self) -> list[OutboxMessage]:
        db = Database(self.db_url)
        try:
            async with db.sessions() as s:
                return list((await s.scalars(select(OutboxMessage))).all())
        finally:
            await db.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["aiogram", "ptb"])
async def bot(request: pytest.FixtureRequest, fake: FakeTelegram, tmp_path: Path
              ) -> AsyncIterator[Bot]:
    running = Bot(fake, request.param, tmp_path)
    yield running
    await running.stop()


def buttons(call_params: dict[str, Any]) -> list[str]:
    markup = call_params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_onboarding_over_http_with_inline_buttons(bot: Bot, fake: FakeTelegram) -> None:
    await bot.start()
    fake.send_text(CHAT, "/start", lang="fr")
    texts = await bot.replies(CHAT, 1)
    assert texts[0] == "Bonjour. Quelle langue voulez-vous utiliser ?"
    assert {"lang:en", "lang:es", "lang:fr"} <= set(buttons(fake.sent(CHAT)[-1].params))
    steps = [("lang:fr", "assistant automatique"), ("next", "messages de suivi"),
             ("yes", "gestionnaire de cas"), ("yes", "Dans quel pays")]
    for n, (data, expected) in enumerate(steps, start=2):
        fake.press(CHAT, data, lang="fr")
        assert expected in (await bot.replies(CHAT, n))[-1]
    fake.send_text(CHAT, "Sénégal", lang="fr")
    await bot.replies(CHAT, 6)
    fake.press(CHAT, "yes", lang="fr")
    await bot.replies(CHAT, 7)
    fake.send_text(CHAT, "14/03/2026", lang="fr")
    assert "14 mars 2026" in (await bot.replies(CHAT, 8))[-1]
    fake.press(CHAT, "pick:2026-03-14", lang="fr")
    assert "Que voulez-vous faire ?" in (await bot.replies(CHAT, 9))[-1]
    # Every press was answered and its keyboard closed.
    await fake.wait_for(lambda: len(fake.sent(method="answerCallbackQuery")) == 6)
    await fake.wait_for(lambda: len(fake.sent(method="editMessageReplyMarkup")) == 6)
    for edit in fake.sent(method="editMessageReplyMarkup"):  # that chat's message, emptied
        assert int(edit.params["chat_id"]) == CHAT and int(edit.params["message_id"]) > 0
        assert not edit.params.get("reply_markup") or json.loads(
            edit.params["reply_markup"]) == {"inline_keyboard": []}
    assert all(a.params.get("callback_query_id") for a in fake.sent(method="answerCallbackQuery"))
    commands = {c.params.get("language_code"): c.params["commands"]
                for c in fake.sent(method="setMyCommands")}
    assert set(commands) == {None, "en", "am", "ar", "es", "fa", "fr"}
    assert {"command": "help", "description": "Parler à une personne"} in commands["fr"]
    participant = await bot.participant()
    assert participant is not None and participant.country == "SN"


async def test_same_update_delivered_twice_is_answered_once(bot: Bot, fake: FakeTelegram
                                                            ) -> None:
    await bot.start()
    update = fake.text_update(CHAT, "/start")
    fake.updates.append({"update_id": 77, **update})
    fake.updates.append({"update_id": 77, **update})  # a redelivery in the same batch
    await bot.replies(CHAT, 1)
    await bot.stop()
    fake.updates.append({"update_id": 77, **update})  # and again after a restart
    fake.send_text(CHAT, "/help")
    await bot.start()
    texts = await bot.replies(CHAT, 2)
    await asyncio.sleep(0.3)
    assert len(fake.texts(CHAT)) == 2
    # /help, answered once; with no staff at all yet, honestly: nobody could be reached
    assert "I could not reach anyone from the reintegration team" in texts[1]


async def test_a_polling_batch_shares_commits_and_everyone_is_answered(
        bot: Bot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    groups: list[int] = []
    commit = Database._commit_group

    def counted(self: Database, group: Any) -> None:
        from bot.telegram.adapter import _outcomes

        if _outcomes.get(None) is not None:  # the polling batch's (not the sender's marks)
            groups.append(1)
        commit(self, group)

    monkeypatch.setattr(Database, "_commit_group", counted)
    chats = range(CHAT + 100, CHAT + 120)
    for n, chat in enumerate(chats):
        fake.updates.append({"update_id": 900 + n, **fake.text_update(chat, "/start")})
    await bot.start()
    for chat in chats:
        assert (await bot.replies(chat, 1))[0].startswith("Hello")
    assert 1 <= len(groups) < len(chats)  # twenty updates, fewer commits


async def test_burst_of_429s_loses_and_duplicates_nothing(bot: Bot, fake: FakeTelegram
                                                          ) -> None:
    await bot.start()
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", times=4, retry_after=1)
    chats = [CHAT + i for i in range(6)]
    for chat in chats:
        fake.send_text(chat, "/start")
    await fake.wait_for(lambda: all(len(fake.texts(c)) == 1 for c in chats), within=15)
    attempts = [c for c in fake.calls if c.method == "sendMessage"]
    refused = [c for c in attempts if c.status == 429]
    assert len(refused) == 4
    first_refusal = min(c.at for c in refused)
    retried = [c for c in attempts if c.status == 200 and c.at > first_refusal + 0.9]
    assert retried, "refused messages were sent again only after retry_after"
    await asyncio.sleep(0.3)
    assert all(len(fake.texts(c)) == 1 for c in chats)  # nothing twice


async def test_pacing_per_chat_is_respected(bot: Bot, fake: FakeTelegram) -> None:
    await bot.start(per_chat=5.0)  # at most one message per 0.2 s to one chat
    for text in ("/start", "/help", "/menu", "/privacy"):
        fake.send_text(CHAT, text)
    await bot.replies(CHAT, 4)
    times = [c.at for c in fake.sent(CHAT)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Unpaced they would arrive milliseconds apart; on a busy machine the arrival of one
    # send may lag its start by 50 ms or more (a CI run saw 0.147 s), so half the pace holds
    assert min(gaps) >= 0.1, gaps


async def test_blocked_person_is_marked_unreachable_and_kept(bot: Bot, fake: FakeTelegram
                                                             ) -> None:
    await bot.start()
    fake.send_text(CHAT, "/start")
    await bot.replies(CHAT, 1)
    fake.blocked.add(CHAT)
    fake.send_text(CHAT, "/help")
    await fake.wait_for(lambda: any(c.status == 403 for c in fake.calls))
    await asyncio.sleep(0.2)
    participant = await bot.participant()
    assert participant is not None and participant.reachable is False
    failed = [r for r in await bot.outbox() if r.status == "failed"]
    assert len(failed) == 1 and "403" in (failed[0].last_error or "")
    calls_before = len([c for c in fake.calls if c.method == "sendMessage"])
    await asyncio.sleep(0.3)  # never retried
    assert len([c for c in fake.calls if c.method == "sendMessage"]) == calls_before
    # Unblocking, then writing again, makes them reachable.
    fake.blocked.discard(CHAT)
    fake.member(CHAT, "member")
    fake.send_text(CHAT, "/menu")
    await bot.replies(CHAT, 2)
    participant = await bot.participant()
    assert participant is not None and participant.reachable is True


async def test_block_update_is_recorded_without_a_reply(bot: Bot, fake: FakeTelegram) -> None:
    await bot.start()
    fake.send_text(CHAT, "/start")
    await bot.replies(CHAT, 1)
    fake.member(CHAT, "kicked")
    await asyncio.sleep(0.5)
    participant = await bot.participant()
    assert participant is not None and participant.reachable is False
    assert len(fake.texts(CHAT)) == 1


async def test_restart_mid_conversation_continues(bot: Bot, fake: FakeTelegram) -> None:
    await bot.start()
    fake.send_text(CHAT, "/start")
    await bot.replies(CHAT, 1)
    fake.press(CHAT, "lang:en")
    await bot.replies(CHAT, 2)
    await bot.stop()
    fake.press(CHAT, "next")  # arrives while the bot is down
    await bot.start()
    texts = await bot.replies(CHAT, 3)
    assert "follow-up messages" in texts[-1]


async def test_voice_and_edits(bot: Bot, fake: FakeTelegram) -> None:
    await bot.start()
    fake.send_text(CHAT, "/start")
    await bot.replies(CHAT, 1)
    fake.send_voice(CHAT)
    texts = await bot.replies(CHAT, 2)
    assert "only read text" in texts[-1]
    edited = fake.text_update(CHAT, "changed my mind")
    fake.push({"edited_message": {**edited["message"], "edit_date": 1}})
    await asyncio.sleep(0.5)
    assert len(fake.texts(CHAT)) == 2  # an edit is not a new answer


async def test_photo_falls_back_to_text_when_unsupported(bot: Bot, fake: FakeTelegram,
                                                         tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    await bot.start()
    adapter = make_adapter(bot.settings(), bot.transport)
    await adapter.open()
    payload = {"path": str(png), "caption": "Your chart", "fallback_text": "Your chart (text)",
               "buttons": []}
    try:
        await adapter.send(str(CHAT), "photo", payload)
        assert len(fake.sent(CHAT, method="sendPhoto")) == 1
        chart = {"title": "W", "points": [{"m": 1, "kind": "up", "label": "job"}],
                 "caption": "R-1", "fallback_text": "↑ 1 m: job"}
        await adapter.send(str(CHAT), "chart", chart)  # drawn at send time
        assert len(fake.sent(CHAT, method="sendPhoto")) == 2
        fake.unsupported.add("sendPhoto")
        await adapter.send(str(CHAT), "photo", payload)
        await adapter.send(str(CHAT), "chart", chart)
        assert fake.texts(CHAT) == ["Your chart (text)", "↑ 1 m: job"]
    finally:
        await adapter.close()


async def test_webhook_checks_the_secret(bot: Bot, fake: FakeTelegram, unused_port: int
                                         ) -> None:
    secret = "s3cret-token-of-at-least-32-characters"
    settings = {"webhook_secret": secret, "webhook_listen": f"127.0.0.1:{unused_port}"}
    await bot.start(settings=settings, webhook_url="https://bot.example.org/telegram")
    [registration] = fake.sent(method="setWebhook")
    assert registration.params["secret_token"] == secret
    assert registration.params["url"] == "https://bot.example.org/telegram"
    base = f"http://127.0.0.1:{unused_port}"
    update = {"update_id": 9001, **fake.text_update(CHAT, "/start")}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        async with http.post(f"{base}/telegram", json=update) as resp:
            assert resp.status == 401
        async with http.post(f"{base}/telegram", json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as resp:
            assert resp.status == 401
        assert fake.texts(CHAT) == []
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with http.post(f"{base}/telegram", json=update, headers=headers) as resp:
            assert resp.status == 200
        async with http.post(f"{base}/telegram", json=update, headers=headers) as resp:
            assert resp.status == 200  # a retry of the same update: accepted, not redone
    texts = await bot.replies(CHAT, 1)
    await asyncio.sleep(0.2)
    assert len(fake.texts(CHAT)) == 1 and "Which language" in texts[0]


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)


def test_run_without_a_token_says_so(tmp_path: Path) -> None:
    result = run_cli({}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("HOMECOMING_TELEGRAM_TOKEN is not set")
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_with_a_malformed_token_says_so(tmp_path: Path) -> None:
    result = run_cli({"HOMECOMING_TELEGRAM_TOKEN": "not-a-token"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "HOMECOMING_TELEGRAM_TOKEN: does not look like a bot token from BotFather "
        "(digits, a colon, then letters and digits)"
    ]


async def test_run_with_a_refused_token_says_so(fake: FakeTelegram, tmp_path: Path) -> None:
    other = "987654321:AAThisTokenIsNotKnownToTheFakeServer00"
    result = await asyncio.to_thread(run_cli, {
        "HOMECOMING_TELEGRAM_TOKEN": other, "HOMECOMING_TELEGRAM_API_URL": fake.url,
    }, tmp_path)
    assert result.returncode == 2
    assert "refused HOMECOMING_TELEGRAM_TOKEN (401 Unauthorized)" in result.stderr
    assert other not in result.stderr


async def test_distress_to_case_manager_and_back_over_http(bot: Bot, fake: FakeTelegram
                                                            ) -> None:
    """A distress message → alert to the case manager → acknowledge → the returnee is told →
    resolve with a note; a forged staff button from the returnee is refused."""
    from datetime import timedelta

    from flows.casework.staff import invite_hash
    from flows.engine.engine import utcnow
    from storage import casework

    cm_chat = 7770001
    db = Database(bot.db_url)
    await bot.start()
    try:
        await db.run(casework.create_invite, code_hash=invite_hash("join-me"),
                     role="case_manager", country="SN", languages=["en"], now=utcnow(),
                     valid_for=timedelta(days=1))
    finally:
        await db.dispose()
    fake.send_text(cm_chat, "/start staff-join-me")
    assert "registered as case_manager for SN" in (await bot.replies(cm_chat, 1))[0]
    fake.send_text(CHAT, "/start")
    steps: list[tuple[str, str]] = [("press", "lang:en"), ("press", "next"), ("press", "yes"),
                                    ("press", "yes"), ("text", "Senegal"), ("press", "yes"),
                                    ("text", "14/03/2026"), ("press", "pick:2026-03-14")]
    for n, (how, value) in enumerate(steps, start=2):
        if how == "press":
            fake.press(CHAT, value)
        else:
            fake.send_text(CHAT, value)
        await bot.replies(CHAT, n)
    fake.send_text(CHAT, "I want to kill myself")
    texts = await bot.replies(CHAT, 10)
    assert "I have alerted the reintegration team" in texts[-1]
    alert = await bot.replies(cm_chat, 2)
    assert "Tier 1: suicide risk" in alert[-1]
    [alert_call] = [c for c in fake.sent(cm_chat) if c.params.get("reply_markup")]
    ack, _claim, _chat, resolve = buttons(alert_call.params)
    fake.press(CHAT, ack)  # forged: the returnee sends the case manager's button
    assert (await bot.replies(CHAT, 11))[-1] == "Sorry, that is not allowed."
    fake.press(cm_chat, ack)
    assert "acknowledged" in (await bot.replies(cm_chat, 3))[-1]
    assert "has seen your message" in (await bot.replies(CHAT, 12))[-1]
    fake.press(cm_chat, resolve)
    await bot.replies(cm_chat, 4)
    fake.send_text(cm_chat, "Spoke with them; referred to the clinic.")
    assert "resolved" in (await bot.replies(cm_chat, 5))[-1]
    db = Database(bot.db_url)
    try:
        async with db.sessions() as s:
            from storage.models import AuditEntry, Escalation

            escalation = await s.scalar(select(Escalation))
            actions = [a.action for a in (await s.scalars(select(AuditEntry))).all()]
    finally:
        await db.dispose()
    assert escalation is not None and escalation.status == "resolved"
    assert "staff.refused" in actions and "escalation.resolved" in actions


async def test_worker_sends_without_receiving(fake: FakeTelegram, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from storage import db as storage_db
    from storage import repository as repo

    url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    settings = load_settings(database_url=url, telegram_token=TOKEN,
                             telegram_api_url=fake.url)
    database = Database(url)
    await storage_db.upgrade(database.engine)
    await database.run(lambda conn: repo.add_outbox(
        conn, participant_id=None, channel="telegram", chat_id=str(CHAT),
        payload={"text": "queued by a web process", "buttons": []}, now=datetime.now(UTC)))
    await database.dispose()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, make_adapter(settings, "aiogram"), stop,
                                     receive=False, sender_poll=0.05,
                                     limiter=LocalRateLimiter(200, 50)))
    try:
        await fake.wait_for(lambda: fake.texts(CHAT) == ["queued by a web process"])
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    methods = {c.method for c in fake.calls}
    assert not methods & {"getUpdates", "deleteWebhook", "setWebhook", "setMyCommands"}


def test_short_labels_share_a_row_long_ones_stand_alone() -> None:
    from bot.telegram.updates import keyboard_rows

    labels = ["1 – a little", "2", "3", "4", "5 – very strong", "Cancel"]
    rows = keyboard_rows([{"label": label, "data": f"d{i}"} for i, label in enumerate(labels)])
    assert [[b["label"] for b in row] for row in rows] == [
        ["1 – a little"], ["2", "3", "4"], ["5 – very strong"], ["Cancel"]]
    many = keyboard_rows([{"label": str(n), "data": str(n)} for n in range(1, 13)])
    assert [len(row) for row in many] == [5, 5, 2]


async def test_webhook_refuses_malformed_updates_without_logging_their_words(
        bot: Bot, fake: FakeTelegram, unused_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-token-long-enough-for-the-check"
    settings = {"webhook_secret": secret, "webhook_listen": f"127.0.0.1:{unused_port}"}
    await bot.start(settings=settings, webhook_url="https://bot.example.org/telegram")
    base = f"http://127.0.0.1:{unused_port}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    broken = {"update_id": 9100, "message": {"message_id": "x", "text": "my secret words",
                                              "chat": "not a chat"}}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/telegram", json=broken, headers=headers) as resp:
            assert resp.status == 400
        async with http.post(f"{base}/telegram", json={"update_id": 2**64, "message": {}},
                             headers=headers) as resp:
            assert resp.status == 400  # not a 503 for ever
        good = {"update_id": 9101, **fake.text_update(CHAT, "/start")}
        async with http.post(f"{base}/telegram", json=good, headers=headers) as resp:
            assert resp.status == 200  # and the next update is served as usual
    assert "my secret words" not in caplog.text
    await bot.stop()


async def test_one_unreadable_update_does_not_stop_long_polling(
        bot: Bot, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    """An update whose fields do not parse is skipped (logged by id, not its words), and
    the updates after it are answered."""
    fake.push({"message": {"message_id": "not a number", "text": "my secret words",
                           "chat": "not a chat", "date": "yesterday"}})
    fake.send_text(CHAT, "/start")
    await bot.start()
    texts = await bot.replies(CHAT, 1)
    assert "Which language" in texts[0]
    assert "could not be read" in caplog.text and "my secret words" not in caplog.text
    await bot.stop()


async def test_the_aiogram_adapter_hands_each_kind_of_update_to_its_handler() -> None:
    """Updates are parsed with aiogram's types and handed to the handler by their kind, with
    no dispatcher (nor its FSM, which would keep every chat in memory): private messages,
    edits, button presses and blocks become Events; a group's message and kinds the bot
    does not read become nothing; a malformed update raises (the caller skips it)."""
    from bot.telegram.aiogram_adapter import AiogramAdapter
    from flows.engine.events import Event, EventKind

    adapter = AiogramAdapter(TOKEN, "http://127.0.0.1:9")
    assert not hasattr(adapter, "dispatcher")
    seen: list[Event] = []

    async def handler(event: Event) -> None:
        seen.append(event)

    adapter.bind(handler)
    private = {"id": 42, "type": "private"}
    group = {"id": -100, "type": "group", "title": "g"}
    person = {"id": 42, "is_bot": False, "first_name": "A"}
    message = {"message_id": 1, "date": 0, "chat": private, "from": person, "text": "hello"}
    await adapter.feed_raw({"update_id": 1, "message": message})
    await adapter.feed_raw({"update_id": 2, "edited_message": {**message, "edit_date": 1}})
    await adapter.feed_raw({"update_id": 3, "message": {**message, "chat": group}})
    await adapter.feed_raw({"update_id": 4, "channel_post": {**message, "chat": {
        "id": -200, "type": "channel"}}})
    await adapter.feed_raw({"update_id": 5, "my_chat_member": {
        "chat": private, "from": person, "date": 0,
        "old_chat_member": {"status": "member", "user": person},
        "new_chat_member": {"status": "kicked", "user": person, "until_date": 0}}})
    await adapter.feed_raw({"update_id": 7, "edited_message": {
        **message, "chat": group, "edit_date": 1}})
    query = {"id": "q1", "from": person, "chat_instance": "c", "data": "menu"}
    await adapter.feed_raw({"update_id": 8, "callback_query": {**query, "message": message}})
    await adapter.feed_raw({"update_id": 9, "callback_query": query})  # inline: no message
    await adapter.feed_raw({"update_id": 10, "callback_query": {
        **query, "message": {**message, "chat": group}}})
    assert [(e.kind, e.update_id, e.chat_id) for e in seen] == [
        (EventKind.TEXT, 1, "42"), (EventKind.TEXT, 2, "42"), (EventKind.BLOCKED, 5, "42"),
        (EventKind.BUTTON, 8, "42"), (EventKind.BUTTON, 9, "42")]
    assert seen[3].payload == seen[4].payload == "menu"
    assert seen[1].edited and not seen[0].edited
    with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
        await adapter.feed_raw({"update_id": 6, "message": {"chat": "not a chat"}})
    await adapter.close()
