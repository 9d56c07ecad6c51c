"""How much our engine adds to one Telegram update, measured through aiogram.

Figures from one run on SQLite files, each fed in-process through the aiogram dispatcher
with a fake session (no network):

- bare echo: a handler that answers the text back, no database;
- durable echo: the same handler, first committing one row through our storage layer (its
  own transaction per update, as a handler written without our batching would);
- onboarding step: our adapter → engine → outbox → sender → sendMessage, for the eight
  messages of an onboarding (start, language, ..., return date), as ``homecoming run``
  processes a long-polling batch: the batch's units of work share commits;
- the same step with a commit per update (group commit off), shown for comparison.

Commits are durable (``synchronous=FULL``: the WAL is fsynced before the update is
acknowledged), so the figures depend on the disk: ``--dir`` chooses where the files go.

Updates are fed as long polling delivers them: a batch of chats at once, each chat's
updates in order. Time runs until every reply has reached the (fake) Bot API. The variants
run in turn, several rounds; each figure is the median of its rounds, and the ratio's range
over the rounds is printed too, so that a noisy moment on a shared machine does not decide
a ratio unseen.

    .venv/bin/python bench/transport.py [--chats 250] [--batch 50] [--rounds 7] [--dir D]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ratelimit import LocalRateLimiter  # noqa: E402
from bot.runtime import settle_memory, start  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram.aiogram_adapter import AiogramAdapter  # noqa: E402
from bot.telegram.botapi import answer, form_of  # noqa: E402
from storage import repository as repo  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402

TOKEN = "123456789:AAHomecomingBenchmarkTokenNotReal000"
ONBOARDING = ["/start", "1", "1", "1", "1", "Senegal", "1", "14/03/2026"]


class FakeSession(BaseSession):
    """Answers every Bot API call at once, as Telegram would, and counts the messages."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.all_sent = asyncio.Event()
        self.expected = 0

    def count(self) -> None:
        self.sent += 1
        if self.sent >= self.expected:
            self.all_sent.set()

    async def make_request(self, bot: Bot, method: TelegramMethod[Any],
                           timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if isinstance(method, SendMessage):
            self.count()
            return Message(message_id=self.sent, date=datetime.now(UTC),
                           chat=Chat(id=int(method.chat_id), type="private"), text=method.text)
        return True

    async def close(self) -> None:
        return None

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,  # noqa: ASYNC109
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        yield b""


class FakeApi:
    """The adapter's direct Bot API calls (``bot.telegram.botapi``), answered at once: the
    request is built and the answer read as for Telegram, and messages counted."""

    def __init__(self, session: FakeSession) -> None:
        self.session = session

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        form_of(params)()  # the body, encoded as it would be posted
        if method == "sendMessage":
            self.session.count()
            return answer(200, b'{"ok": true, "result": {"message_id": 1}}')
        return answer(200, b'{"ok": true, "result": true}')

    async def close(self) -> None:
        return None


def updates_for(chats: range, first_id: int) -> list[list[Update]]:
    """Rounds of updates: round k holds every chat's k-th onboarding message."""
    rounds, update_id = [], first_id
    for text in ONBOARDING:
        batch = []
        for chat in chats:
            update_id += 1
            batch.append(Update(update_id=update_id, message=Message(
                message_id=update_id, date=datetime.now(UTC), text=text,
                chat=Chat(id=chat, type="private"),
                from_user=User(id=chat, is_bot=False, first_name="R", language_code="en"))))
        rounds.append(batch)
    return rounds


async def feed(rounds: list[list[Update]], batch: int,
               process: Callable[[list[Update]], Awaitable[Any]]) -> None:
    for updates in rounds:
        for i in range(0, len(updates), batch):
            await process(updates[i:i + batch])


class Statements:
    """Counts the statements SQLite runs (BEGIN and COMMIT included), as the driver sees
    them: our hot statements bypass SQLAlchemy's execution events, so counting there
    would miss them."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        for engine in filter(None, (database._inline, database._sync)):
            event.listen(engine, "connect", self._connected)
        if database._inline_conn is not None:
            dbapi = database._inline_conn.connection.dbapi_connection
            if dbapi is not None:
                self._connected(dbapi)

    def _connected(self, dbapi_conn: Any, *_args: Any) -> None:
        dbapi_conn.set_trace_callback(self._count)

    def _count(self, _statement: str) -> None:
        self.count += 1


async def echo_variant(database: Database | None, rounds: list[list[Update]], batch: int
                       ) -> float:
    session = FakeSession()
    session.expected = sum(len(r) for r in rounds)
    bot = Bot(TOKEN, session=session)
    dispatcher = Dispatcher()
    router = Router()

    async def echo(message: Message, event_update: Update) -> None:
        if database is not None:
            await database.run(repo.claim_update, "bench", event_update.update_id,
                               datetime.now(UTC))
        await message.answer(message.text or "")

    router.message.register(echo)
    dispatcher.include_router(router)

    async def process(updates: list[Update]) -> None:
        await asyncio.gather(*(dispatcher.feed_update(bot, u) for u in updates))

    started = time.perf_counter()
    await feed(rounds, batch, process)
    await session.all_sent.wait()
    return time.perf_counter() - started


async def step_variant(db_path: Path, rounds: list[list[Update]], batch: int,
                       group: bool = True) -> tuple[float, Statements]:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{db_path}")
    adapter = AiogramAdapter(TOKEN, "http://127.0.0.1:9")
    adapter.group_commits = group
    session = FakeSession()
    session.expected = sum(len(r) for r in rounds)
    adapter.bot = Bot(TOKEN, session=session)
    adapter.api = FakeApi(session)  # type: ignore[assignment]
    limiter = LocalRateLimiter(per_second=1e9, per_chat_per_second=1e9)
    runtime = await start(settings, {adapter.channel: adapter}, limiter=limiter)
    adapter.bind(runtime.engine.handle)
    statements = Statements(runtime.database)
    sender_stop = asyncio.Event()
    sender = asyncio.create_task(runtime.sender.run(sender_stop, poll=0.5))
    try:
        started = time.perf_counter()
        await feed(rounds, batch, adapter.process_batch)
        await session.all_sent.wait()
        elapsed = time.perf_counter() - started
    finally:
        sender_stop.set()
        runtime.sender.stop_soon()
        await sender
        await runtime.close()
    return elapsed, statements


def row(name: str, n: int, seconds: float, statements: str = "") -> str:
    return f"{name:<26}{n / seconds:>12,.0f}{seconds / n * 1e6:>14,.0f}{statements:>20}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=250)
    parser.add_argument("--batch", type=int, default=50, help="updates processed at once")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the variants")
    parser.add_argument("--dir", default=None,
                        help="where the SQLite files go (default: the system's temp dir)")
    args = parser.parse_args()
    n = args.chats * len(ONBOARDING)
    steps, singles, durables, bares = [], [], [], []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        # Every variant writes to its own copy of one migrated file, so that each starts
        # from the same state (a WAL that grows from nothing costs more to sync than one
        # that is reused: a variant run on a file another variant filled would gain).
        template = Path(tmp) / "template.db"
        database = Database(f"sqlite+aiosqlite:///{template}")
        await upgrade(database.engine)
        await database.dispose()

        def fresh(name: str) -> Path:
            path = Path(tmp) / f"{name}.db"
            shutil.copy(template, path)
            return path

        # Warm up first (catalogs, CLDR data, compiled statements are loaded once per
        # process): a bot runs for weeks, and its first second is not what is measured.
        await step_variant(fresh("warm-up"), updates_for(range(9 * 10**7, 9 * 10**7 + 20),
                                                         9 * 10**8), args.batch)
        settle_memory()  # as `homecoming run` does once started
        for r in range(args.rounds):

            def chats(k: int, r: int = r) -> list[list[Update]]:
                """Variant k's own chats and update ids in round r."""
                first = k * 10**7 + r * 10 * args.chats
                return updates_for(range(first + 1, first + args.chats + 1),
                                   k * 10**8 + 10**6 * r)

            step_seconds, statements = await step_variant(fresh(f"step{r}"), chats(0),
                                                          args.batch)
            single_seconds, _ = await step_variant(fresh(f"single{r}"), chats(3), args.batch,
                                                   group=False)
            database = Database(f"sqlite+aiosqlite:///{fresh(f'durable{r}')}")
            durable_counter = Statements(database)
            durables.append(await echo_variant(database, chats(1), args.batch))
            await database.dispose()
            bares.append(await echo_variant(None, chats(2), args.batch))
            steps.append(step_seconds)
            singles.append(single_seconds)
    step_seconds, single, durable, bare = (statistics.median(v)
                                           for v in (steps, singles, durables, bares))
    ratios = sorted(s / d for s, d in zip(steps, durables, strict=True))
    print(f"transport benchmark: {n} updates per variant ({args.chats} chats x "
          f"{len(ONBOARDING)} onboarding messages), batches of {args.batch}, SQLite file in "
          f"{args.dir or tempfile.gettempdir()}, median of {args.rounds} rounds")
    print(f"{'variant':<26}{'updates/s':>12}{'us/update':>14}{'statements/update':>20}")
    print(row("bare echo", n, bare))
    print(row("durable echo", n, durable, f"{durable_counter.count / n:.1f}"))
    print(row("onboarding step", n, step_seconds, f"{statements.count / n:.1f}"))
    print(row("  (a commit per update)", n, single))
    print(f"step / bare echo    = {step_seconds / bare:.2f}")
    print(f"step / durable echo = {step_seconds / durable:.2f}   (target: at most 2.00; "
          f"per round {ratios[0]:.2f}-{ratios[-1]:.2f})")
    print(f"step with a commit per update / durable echo = {single / durable:.2f}")

if __name__ == "__main__":
    asyncio.run(main())
