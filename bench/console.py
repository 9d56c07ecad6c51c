"""The console's pages under load: the queue and a case page with 10,000 open escalations
among 100,000 people, on PostgreSQL (``HOMECOMING_TEST_POSTGRES_URL``, default the local
server), in a schema of its own that is dropped afterwards.

Each request goes through the whole application in process (ASGI): the session check, the
queries, the audit row, the template. Prints p50 and p99 in milliseconds (target p99 under
150 ms). Seeding uses COPY, so it takes seconds.

    .venv/bin/python bench/console.py [--people 100000] [--open 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.console.app import Console, build_app  # noqa: E402
from flows.casework.casework import Casework  # noqa: E402
from flows.casework.login import secret_hash  # noqa: E402
from flows.l10n.countries import CountryPacks  # noqa: E402
from flows.l10n.i18n import Catalogs  # noqa: E402
from storage import console as console_db  # noqa: E402
from storage import db  # noqa: E402
from storage.crypto import seal, use_key  # noqa: E402

PG_URL = os.environ.get("HOMECOMING_TEST_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CATEGORIES = ["suicide", "self_harm", "emotional", "severe_distress", "isolation", "grief",
              "need_housing", "need_work", "asked_for_person", "lost_contact"]


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


async def seed(raw: asyncpg.Connection, people: int, open_escalations: int) -> str:
    """People in SN (80 %) and AF; the first ``open_escalations`` have one open escalation
    each, with its signal; the case page's person also has check-ins and a closed case."""
    created = naive(NOW - timedelta(days=200))
    consent = json.dumps({"follow_up": True, "case_manager_sharing": True})
    await raw.copy_records_to_table("participants", columns=[
        "id", "pseudonym", "channel", "chat_id", "locale", "country", "returned",
        "return_date", "onboarded_at", "paused", "reachable", "profile", "checklist",
        "consent_state", "created_at"], records=[
        (i, f"R-B{i:08d}", "bench", str(i), "en", "SN" if i % 5 else "AF", True,
         date(2026, 3, 14), created, False, True, "standard", "{}", consent, created)
        for i in range(1, people + 1)])
    await raw.copy_records_to_table("staff", columns=[
        "id", "pseudonym", "channel", "chat_id", "role", "country", "languages", "active",
        "pending", "created_at"], records=[
        (1, "S-BENCH1", "bench", "staff-1", "supervisor", "SN", '["en"]', True, "{}", created),
        (2, "S-BENCH2", "bench", "staff-2", "case_manager", "SN", '["en"]', True, "{}",
         created)])
    rng = random.Random(7)
    escalations, signals = [], []
    excerpt = seal(b"I cannot go on like this, nobody would notice if I was gone")
    for i in range(1, open_escalations + 1):
        tier = rng.choice((1, 2, 2, 3, 3, 3))
        at = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 20))
        deadline = at + {1: timedelta(minutes=15), 2: timedelta(hours=4),
                         3: timedelta(days=2)}[tier]
        status = "open" if i % 3 else "acknowledged"
        category = rng.choice(CATEGORIES)
        escalations.append((i, i, tier, category, json.dumps([category]), "message", status,
                            "SN" if i % 5 else "AF", False, 2 if status != "open" else None,
                            naive(deadline), naive(deadline) if status == "open" else None, 0,
                            naive(at), naive(at + timedelta(minutes=9))
                            if status != "open" else None))
        signals.append((i, i, naive(at), "message", tier, json.dumps([category]), excerpt))
    await raw.copy_records_to_table("escalations", columns=[
        "id", "participant_id", "tier", "category", "categories", "source", "status",
        "country", "note_72h", "assignee_id", "ack_deadline", "next_alert_at", "alert_level",
        "created_at", "acknowledged_at"], records=escalations)
    await raw.copy_records_to_table("escalation_signals", columns=[
        "id", "escalation_id", "at", "source", "tier", "categories", "excerpt"],
        records=signals)
    person = 1  # in SN (1 % 5 != 0), with an open escalation
    await raw.copy_records_to_table("checkins", columns=[
        "participant_id", "at", "mood", "needs"], records=[
        (person, naive(NOW - timedelta(days=14 * k)), 1 + k % 5, '["housing"]')
        for k in range(20)])
    for table in ("participants", "staff", "escalations", "escalation_signals"):
        await raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"(SELECT max(id) FROM {table}))")
    await raw.execute("ANALYZE")
    return f"R-B{person:08d}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(client: httpx.AsyncClient, path: str, requests: int) -> list[float]:
    for _ in range(10):  # warm up: compiled statements, templates, connections
        assert (await client.get(path)).status_code == 200
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return times


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    use_key(Fernet.generate_key().decode())  # excerpts encrypted, as in production
    schema = f"bench_console_{uuid.uuid4().hex[:8]}"
    admin = db.create_engine(PG_URL)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OSError as exc:
        print(f"PostgreSQL at {PG_URL} is unreachable ({type(exc).__name__}): skipped")
        return
    database = db.Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await db.upgrade(database.engine)
        raw = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"),
                                    server_settings={"search_path": schema})
        started = time.perf_counter()
        person = await seed(raw, args.people, args.open)
        await raw.close()
        print(f"seeded {args.people:,} people and {args.open:,} open escalations in "
              f"{time.perf_counter() - started:.1f} s")
        catalogs = Catalogs()
        casework = Casework(catalogs, CountryPacks.load(catalogs.locales_dir))
        console = Console(database, casework, lambda: NOW, secure=False,
                          idle=timedelta(days=1))
        await database.run(console_db.create_login_token, secret_hash("bench"), 1, NOW,
                           timedelta(minutes=5))
        signed = await database.run(casework.sign_in, "bench", NOW)
        assert signed is not None
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(console)),
                                   base_url="http://bench", cookies={
                                       "hc_session": signed.secret})
        for name, path in (("queue (first 50 of the open cases in SN)", "/"),
                           ("queue, tier 1 unassigned", "/?tier=1&assignee=unassigned"),
                           ("case page", f"/case/{person}")):
            times = await measure(client, path, args.requests)
            print(f"{name}: p50 {statistics.median(times):.1f} ms, "
                  f"p99 {percentile(times, 0.99):.1f} ms ({args.requests} requests)")
        await client.aclose()
    finally:
        await database.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
