"""A follow-up fan-out: 10,000 check-ins due at once among many participants.

For SQLite (a file) and PostgreSQL (``HOMECOMING_TEST_POSTGRES_URL``, default the local
server; skipped with a note when absent), with 100,000 participants and again with 20,000:

- how long claiming and enqueueing all due check-ins takes, as follow-ups per second;
- peak Python memory during that work (tracemalloc), to show it does not grow with the
  number of participants;
- while the fan-out runs, people who are not due write in: the time until their reply is
  committed, p50 and p99.

    .venv/bin/python bench/scheduler.py [--participants 100000] [--due 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from flows.engine.engine import Engine  # noqa: E402
from flows.engine.events import Event, EventKind  # noqa: E402
from flows.l10n.i18n import Catalogs  # noqa: E402
from storage import db  # noqa: E402
from storage.models import Conversation, FollowUp, Participant  # noqa: E402

PG_URL = os.environ.get("HOMECOMING_TEST_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 10:00 in Dakar: within allowed hours
CHUNK = 100  # follow-ups per transaction, as in `homecoming run`


def populate(conn: Any, participants: int, due: int) -> None:
    """Onboarded returnees in Senegal at the menu; the first ``due`` have a check-in due."""
    batch = 5000
    for start in range(0, participants, batch):
        ids = range(start, min(start + batch, participants))
        conn.execute(insert(Participant.__table__), [{
            "id": i + 1, "pseudonym": f"R-B{i:08d}", "channel": "bench", "chat_id": str(i),
            "locale": "en", "country": "SN", "returned": True,
            "return_date": date(2026, 3, 14), "onboarded_at": NOW - timedelta(days=200),
            "paused": False, "reachable": True, "profile": "standard", "last_mood": None,
            "consent_state": {"follow_up": True, "case_manager_sharing": True},
            "created_at": NOW - timedelta(days=200)} for i in ids])
        conn.execute(insert(Conversation.__table__), [{
            "participant_id": i + 1, "flow": "menu", "state": "main", "data": {},
            "version": 1, "expires_at": NOW + timedelta(days=7),
            "updated_at": NOW - timedelta(days=1)} for i in ids])
    for start in range(0, due, batch):
        conn.execute(insert(FollowUp.__table__), [{
            "participant_id": i + 1, "kind": "checkin", "seq": 9,
            "due_at": NOW - timedelta(minutes=1), "status": "scheduled", "sent_at": None,
            "reminders": 0, "next_reminder_at": None, "answered_at": None}
            for i in range(start, min(start + batch, due))])


async def fan_out(database: db.Database, participants: int, due: int) -> dict[str, float]:
    await database.run(populate, participants, due)
    engine = Engine(database, Catalogs(), clock=lambda: NOW)
    latencies: list[float] = []

    async def someone_writes(n: int) -> None:
        chat = str(participants - 1 - n)  # never one of the due
        started = time.perf_counter()
        await engine.handle(Event("bench", chat, EventKind.COMMAND, command="menu",
                                  update_id=10_000_000 + n))
        latencies.append(time.perf_counter() - started)

    writes: list[asyncio.Task[None]] = []

    async def writers() -> None:
        for n in range(200):
            writes.append(asyncio.create_task(someone_writes(n)))
            await asyncio.sleep(0.01)

    tracemalloc.start()
    started = time.perf_counter()
    writing = asyncio.create_task(writers())
    delivered = await engine.run_followups(chunk=CHUNK)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await writing
    await asyncio.gather(*writes)
    latencies.sort()
    return {"delivered": delivered, "seconds": elapsed, "rate": delivered / elapsed,
            "peak_mb": peak / 1e6, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000}


async def sqlite_run(participants: int, due: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = db.Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.upgrade(database.engine)
        try:
            return await fan_out(database, participants, due)
        finally:
            await database.dispose()


async def postgres_run(participants: int, due: int) -> dict[str, float] | None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = db.create_engine(PG_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"PostgreSQL at {PG_URL} unavailable ({type(exc).__name__}): skipped")
        await admin.dispose()
        return None
    database = db.Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await db.upgrade(database.engine)
        return await fan_out(database, participants, due)
    finally:
        await database.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    sizes = [args.participants, max(args.due * 2, args.participants // 5)]
    print(f"scheduler benchmark: {args.due} check-ins due at once; 200 other people write "
          f"in during the fan-out (one every 10 ms)")
    print(f"{'database':<11}{'participants':>13}{'follow-ups/s':>14}{'seconds':>9}"
          f"{'peak MB':>9}{'reply p50 ms':>14}{'reply p99 ms':>14}")
    for name, run in (("sqlite", sqlite_run), ("postgresql", postgres_run)):
        for size in sizes:
            result = await run(size, args.due)
            if result is None:
                break
            print(f"{name:<11}{size:>13,}{result['rate']:>14,.0f}{result['seconds']:>9.1f}"
                  f"{result['peak_mb']:>9.1f}{result['p50']:>14.1f}{result['p99']:>14.1f}")
    print("targets on PostgreSQL: >= 1000 follow-ups/s, memory flat in participants, "
          "reply p99 < 200 ms")


if __name__ == "__main__":
    asyncio.run(main())
