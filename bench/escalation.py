"""How fast a distress message reaches a case manager.

Runs ``homecoming run`` (aiogram, long polling) against a local Bot API server, with one
SQLite file, 40 countries each with one case manager, and 1,000 onboarded returnees. Each
returnee sends one Tier 1 message, at a steady rate. For every message it measures, from
the moment the message reached the Bot API server:

- commit: the alert written to the database (in the same transaction as the reply);
- delivered: the alert received by the Bot API server for the case manager's chat.

Telegram's pacing stays on (30 messages/s overall, 1/s per chat). Each Tier 1 message
costs two sends (the reply with emergency numbers, and the alert), so above 15 messages a
second the bot's whole Telegram budget is spent and queueing starts; the default rate, 10 a
second, is far above what a reintegration programme sees, and below that ceiling.

    .venv/bin/python bench/escalation.py [--messages 1000] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel import Locale  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bot.ratelimit import LocalRateLimiter  # noqa: E402
from bot.run import make_adapter, serve  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from flows.casework.staff import invite_hash  # noqa: E402
from storage import casework, db  # noqa: E402
from storage import repository as repo  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

COUNTRIES = sorted(code for code in Locale("en").territories
                   if len(code) == 2 and code.isalpha())[:40]


def populate(conn: Connection, returnees: int, now: datetime) -> dict[str, int]:
    """Case managers and onboarded returnees, written directly: the bench times alerts."""
    for i, country in enumerate(COUNTRIES):
        code = f"bench-{country}"
        casework.create_invite(conn, code_hash=invite_hash(code), role="case_manager",
                               country=country, languages=["en"], now=now,
                               valid_for=timedelta(days=1))
        casework.redeem_invite(conn, invite_hash(code), "telegram", str(900_000 + i), now)
    pseudonyms = {}
    for n in range(returnees):
        person = repo.create_participant(conn, "telegram", str(100_000 + n), "en", now)
        person.set(country=COUNTRIES[n % len(COUNTRIES)], onboarded_at=now,
                   consent_state={"follow_up": True, "case_manager_sharing": True})
        repo.save_participant(conn, person)
        repo.save_conversation(conn, person, repo.ConversationRecord("menu", "main", {}, None,
                                                                       None),
                               expires_at=now + timedelta(days=7), now=now)
        pseudonyms[person.pseudonym] = 100_000 + n
    return pseudonyms


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
    args = parser.parse_args()
    fake = FakeTelegram()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        database = db.Database(url)
        await db.upgrade(database.engine)
        pseudonyms = await database.run(populate, args.messages, datetime.now(UTC))
        await database.dispose()
        settings = load_settings(database_url=url, telegram_token=TOKEN,
                                 telegram_api_url=fake.url)
        adapter = make_adapter(settings, "aiogram")
        arrived: dict[int, float] = {}
        committed: dict[int, float] = {}
        stop = asyncio.Event()
        limiter = LocalRateLimiter(per_second=30, per_chat_per_second=1)
        task = asyncio.create_task(serve(settings, adapter, stop, limiter=limiter,
                                         sender_poll=0.2))
        await fake.wait_for(lambda: any(c.method == "deleteWebhook" for c in fake.calls))
        handle = adapter._handler
        assert handle is not None

        async def timed(event: Any) -> Any:
            result = await handle(event)
            committed[int(event.chat_id)] = time.monotonic()
            return result

        adapter.bind(timed)
        chats = list(pseudonyms.values())
        started = time.monotonic()
        for n, chat in enumerate(chats):
            await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))
            fake.send_text(chat, "I want to kill myself")
            arrived[chat] = time.monotonic()
        staff_chats = {str(900_000 + i) for i in range(len(COUNTRIES))}

        def delivered() -> dict[int, float]:
            found = {}
            for call in fake.calls:
                if call.method == "sendMessage" and str(call.params["chat_id"]) in staff_chats:
                    for word in call.params["text"].split():
                        chat = pseudonyms.get(word.rstrip(","))
                        if chat is not None:
                            found[chat] = call.at
            return found

        await fake.wait_for(lambda: len(delivered()) >= len(chats), within=300)
        stop.set()
        await task
    await fake.stop()
    seen = delivered()
    to_commit = [(committed[c] - arrived[c]) * 1000 for c in chats]
    to_deliver = [(seen[c] - arrived[c]) * 1000 for c in chats]
    print(f"escalation benchmark: {len(chats)} Tier 1 messages at {args.rate:g}/s, "
          f"{len(COUNTRIES)} case managers, SQLite file, aiogram, local Bot API server")
    print(f"{'':<22}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'target p99':>12}")
    for name, values, target in (("to alert committed", to_commit, "< 100"),
                                 ("to alert delivered", to_deliver, "< 1000")):
        print(f"{name:<22}{statistics.median(values):>10.1f}{percentile(values, 99):>10.1f}"
              f"{max(values):>10.1f}{target:>12}")


if __name__ == "__main__":
    asyncio.run(main())
