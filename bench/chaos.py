"""Chaos: nothing lost, nothing repeated, while processes are killed and the database and
Telegram fail.

A local Bot API server keeps every update until the bot confirms it (``getUpdates`` with a
higher offset, or a 2xx from the webhook, as Telegram does) and answers 429 or 5xx when
told. Returnees go through onboarding, then write that they want to die, each waiting for
the bot's answer before the next step. Meanwhile the bot's processes are killed with
``kill -9`` at random (and started again, as a service manager would), the database is
taken away (SQLite held locked; PostgreSQL connections terminated with
``pg_terminate_backend``), and Telegram answers 429 storms and 5xx. Then, with no fault,
50 people are in distress at once.

At the end it counts, from what reached the Bot API server and what the database holds:
updates lost (confirmed but never processed), replies lost and duplicated, Tier 1 alerts
lost and duplicated at the case manager, and how long each Tier 1 alert took, from the
distress message reaching the Bot API server to the alert reaching the case manager.

    .venv/bin/python bench/chaos.py [--backends sqlite,postgres] [--people 30]
    .venv/bin/python bench/chaos.py --short      # what CI runs (tests/test_chaos.py)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.botapi import BotApi  # noqa: E402
from bench.cluster import (  # noqa: E402
    PG_ADMIN,
    Cluster,
    add_onboarded,
    add_staff,
    flush_redis,
    free_port,
    fresh_postgres,
    prepare,
)
from storage import db  # noqa: E402

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CM, SUPERVISOR = 900_001, 900_002
DISTRESS = "I want to kill myself"
ONBOARDING: list[tuple[str, str]] = [
    ("text", "/start"), ("button", "lang:en"), ("button", "next"), ("button", "yes"),
    ("button", "yes"), ("text", "Senegal"), ("button", "yes"), ("text", "14/03/2026")]
AFTER: list[tuple[str, str]] = [("text", DISTRESS), ("button", "go_on")]
SECTION = "\n\n\u2014\u2014\u2014\n\n"  # between the alerts of one message (storage.outbox)
CASE = re.compile(r"Case #(\d+), Tier (\d)")


@dataclass
class Run:
    """What was sent to the bot and what came back."""

    updates: dict[int, int] = field(default_factory=dict)  # update id → chat
    expected: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # chat → n
    received: dict[int, list[tuple[float, str]]] = field(
        default_factory=lambda: defaultdict(list))
    distress_at: dict[int, float] = field(default_factory=dict)  # chat → when it was sent
    distress_wall: dict[int, float] = field(default_factory=dict)  # the same, wall clock
    alerts: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    faults: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def on_send(self, chat: int, method: str, params: dict[str, Any]) -> None:
        now = time.monotonic()
        trace("sent", chat, str(params.get("text", ""))[:40])
        words = str(params.get("text", ""))
        if chat == CM:
            for section in words.split(SECTION):
                match = CASE.search(section)
                if match and match.group(2) == "1" and not section.startswith(
                        ("Reminder", "This alert could not")):
                    self.alerts[int(match.group(1))].append(now)
        elif chat != SUPERVISOR and method == "sendMessage":
            self.received[chat].append((now, words))


class Returnee:
    def __init__(self, run: Run, api: BotApi, chat: int, steps: list[tuple[str, str]],
                 patience: float) -> None:
        self.run, self.api, self.chat, self.steps = run, api, chat, steps
        self.patience = patience

    async def live(self) -> None:
        for kind, value in self.steps:
            before = len(self.run.received[self.chat])
            update = (self.api.text_update(self.chat, value) if kind == "text"
                      else self.api.button(self.chat, value))
            update_id = self.api.queue(update)
            trace("update", update_id, self.chat, value)
            self.run.updates[update_id] = self.chat
            self.run.expected[self.chat] += 1
            if value == DISTRESS:
                self.run.distress_at[self.chat] = time.monotonic()
                self.run.distress_wall[self.chat] = time.time()
            deadline = time.monotonic() + self.patience
            while len(self.run.received[self.chat]) <= before:
                if time.monotonic() > deadline:
                    return  # no answer: counted as lost at the end
                await asyncio.sleep(0.05)
            await asyncio.sleep(random.uniform(0.0, 0.3))


class Faults:
    """Kills, database outages and Telegram storms, at random, until stopped."""

    def __init__(self, run: Run, api: BotApi, cluster: Cluster, backend: str,
                 database: str, every: float) -> None:
        self.run, self.api, self.cluster = run, api, cluster
        self.backend, self.database, self.every = backend, database, every
        self.lock_seconds = 8.0

    async def supervise(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.cluster.revive()
            await asyncio.sleep(0.5)

    async def go(self, stop: asyncio.Event, kinds: list[str], once: bool = False) -> None:
        """Faults of ``kinds`` in turn (each once, with ``once``) until ``stop``."""
        n = 0
        while not stop.is_set() and not (once and n >= len(kinds)):
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.every)
            if stop.is_set():
                return
            kind = kinds[n % len(kinds)]
            n += 1
            trace("fault", kind)
            self.run.faults[kind] += 1
            if kind == "kill":
                name = random.choice(sorted(self.cluster.procs))
                self.cluster.restart(name)
            elif kind == "storm":
                self.api.storm(random.uniform(2, 6), retry_after=random.choice((1, 2, 3)))
            elif kind == "5xx":
                self.api.error_rate = 0.3
                await asyncio.sleep(3)
                self.api.error_rate = 0.0
            elif kind == "db" and self.backend == "sqlite":
                await asyncio.to_thread(hold_locked, self.database, self.lock_seconds)
            elif kind == "db":
                await terminate_connections(self.database)


def trace(*what: Any) -> None:
    if TRACE:
        print(f"{time.monotonic():.2f}", *what, file=sys.stderr, flush=True)


TRACE = bool(os.environ.get("CHAOS_TRACE"))


def hold_locked(path: str, seconds: float) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        conn.rollback()
    finally:
        conn.close()


async def terminate_connections(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
    finally:
        await conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def scenario(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    run = Run()
    api = BotApi()
    api.on_send = run.on_send
    await api.start()
    with (contextlib.nullcontext(tempfile.mkdtemp(dir=args.keep)) if args.keep
          else tempfile.TemporaryDirectory()) as tmp:
        data = Path(tmp)
        if backend == "sqlite":
            path = str(data / "chaos.db")
            url, redis, layout = f"sqlite+aiosqlite:///{path}", None, [("bot", "poll")]
            target = path
        else:
            target = f"{args.database}_chaos"
            url, redis = await fresh_postgres(target), REDIS
            await flush_redis(REDIS)
            layout = [("web0", "webhook"), ("web1", "webhook"), ("worker0", "worker"),
                      ("worker1", "worker")]
        crowd = [500_000 + n for n in range(args.crowd)]
        await prepare(url, data, lambda c, now: add_staff(c, [str(CM)], "SN", now),
                      lambda c, now: add_staff(c, [str(SUPERVISOR)], "SN", now,
                                               "supervisor"),
                      lambda c, now: add_onboarded(c, crowd, "SN", now))
        cluster = Cluster(url, api.url, data, redis_url=redis, port=free_port(),
                          alert_sweep_seconds=5)
        try:
            return await drive(run, api, cluster, layout, backend, target, crowd, args)
        finally:
            await cluster.stop()
            await api.stop()


async def drive(run: Run, api: BotApi, cluster: Cluster, layout: list[tuple[str, str]],
                backend: str, target: str, crowd: list[int],
                args: argparse.Namespace) -> dict[str, Any]:
    for name, role in layout:
        cluster.start(name, role)
    await running(api, cluster)
    if any(role == "webhook" for _, role in layout):
        api.deliver()
    started = time.monotonic()
    # 1. Returnees through onboarding and distress, under fire.
    stop = asyncio.Event()
    faults = Faults(run, api, cluster, backend, target, args.fault_every)
    faults.lock_seconds = 4.0 if args.short else 8.0
    kinds = (["storm", "kill", "db"] if args.short
             else ["kill", "storm", "db", "5xx", "kill", "db"])
    firing = asyncio.create_task(faults.go(stop, kinds, once=args.short))
    done = asyncio.Event()
    supervisor = asyncio.create_task(faults.supervise(done))
    people = [Returnee(run, api, 400_000 + n, ONBOARDING + AFTER, args.patience)
              for n in range(args.people)]
    tasks = []
    for person in people:
        tasks.append(asyncio.create_task(person.live()))
        await asyncio.sleep(args.arrival)
    await asyncio.gather(*tasks)
    stop.set()
    await firing
    api.storm_until, api.error_rate = 0.0, 0.0
    chaos_seconds = time.monotonic() - started
    await settle(run, args.patience)
    await running(api, cluster)  # every process killed last is up again
    # 2. No fault: the crowd in distress at once.
    crowd_people = [Returnee(run, api, chat, [("text", DISTRESS)], args.patience)
                    for chat in crowd]
    await asyncio.gather(*(person.live() for person in crowd_people))
    await settle(run, args.patience)
    done.set()
    await supervisor
    return await figures(run, cluster, backend, chaos_seconds, crowd)


async def running(api: BotApi, cluster: Cluster) -> None:
    """Until every process has started: asked who the bot is since it was started (each
    start matched to a getMe after it) and, for a webhook, set it."""
    deadline = time.monotonic() + 120

    def ready() -> bool:
        if cluster.alive() != sorted(cluster.procs) and len(cluster.alive()) != len(
                cluster.procs):
            return False
        starts = sorted(cluster.started_at.values())
        return all(sum(t > start for t in api.getme_times) >= len(starts) - n
                   for n, start in enumerate(starts))

    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"the bot did not start: see {cluster.data_dir}/*.log")
        cluster.revive()
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)


async def settle(run: Run, within: float) -> None:
    """Wait until every expected reply and alert is in, or nothing moves for a while."""
    last, quiet = -1, time.monotonic()
    while time.monotonic() - quiet < min(within, 20):
        count = sum(len(v) for v in run.received.values()) + sum(
            len(v) for v in run.alerts.values())
        if count != last:
            last, quiet = count, time.monotonic()
        if all(len(run.received[c]) >= n for c, n in run.expected.items()) and len(
                run.alerts) >= len(run.distress_at):
            await asyncio.sleep(3)  # anything sent twice arrives now
            return
        await asyncio.sleep(0.2)


async def figures(run: Run, cluster: Cluster, backend: str, chaos_seconds: float,
                  crowd: list[int]) -> dict[str, Any]:
    database = db.Database(cluster.env["HOMECOMING_DATABASE_URL"])
    async with database.engine.connect() as conn:
        processed = {row[0] for row in await conn.execute(text(
            "SELECT update_id FROM processed_updates"))}
        opened: dict[int, tuple[int, datetime]] = {
            int(row[1]): (int(row[0]), row[2]) for row in await conn.execute(text(
                "SELECT e.id, p.chat_id, e.created_at FROM escalations e JOIN participants p "
                "ON p.id = e.participant_id WHERE e.tier = 1 AND e.status <> 'cancelled'"))}
    cases = {chat: case for chat, (case, _) in opened.items()}
    await database.dispose()
    updates_lost = sum(1 for update_id in run.updates if update_id not in processed)
    replies_lost = sum(max(0, n - len(run.received[c])) for c, n in run.expected.items())
    replies = sum(len(v) for v in run.received.values())
    duplicated = sum(max(0, len(run.received[c]) - n) for c, n in run.expected.items())
    delays_chaos, delays_crowd, lost, dup = [], [], 0, 0
    opening: list[float] = []  # the crowd's: distress sent → escalation opened (the turn)
    for chat, sent_at in run.distress_at.items():
        case = cases.get(chat)
        arrivals = run.alerts.get(case, []) if case is not None else []
        if not arrivals:
            lost += 1
            continue
        dup += len(arrivals) - 1
        delay = arrivals[0] - sent_at
        (delays_crowd if chat in crowd else delays_chaos).append(delay)
        if chat in crowd:
            at = opened[chat][1]
            at = datetime.fromisoformat(at) if isinstance(at, str) else at
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            opening.append(at.timestamp() - run.distress_wall[chat])
    return {"backend": backend, "seconds": chaos_seconds, "updates": len(run.updates),
            "updates lost": updates_lost, "replies": replies, "replies lost": replies_lost,
            "replies duplicated": duplicated, "alerts": len(run.distress_at),
            "alerts lost": lost, "alerts duplicated": dup, "kills": cluster.kills,
            "crashes": cluster.crashes,
            "faults": dict(run.faults), "delays chaos": delays_chaos,
            "delays crowd": delays_crowd, "opening crowd": opening}


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"chaos: {args.people} returnees through onboarding and distress under faults, "
          f"then {args.crowd} in distress at once with no fault")
    for r in results:
        layout = ("SQLite, one process (polling)" if r["backend"] == "sqlite" else
                  "PostgreSQL + Redis, 2 webhook + 2 worker processes")
        faults = ", ".join(f"{k} ×{v}" for k, v in sorted(r["faults"].items()))
        print(f"\n{layout}: {r['seconds']:.0f} s of faults ({faults}; kill -9 ×{r['kills']}; "
              f"exits at start-up, started again ×{r['crashes']})")
        dup_share = 100 * r["replies duplicated"] / max(1, r["replies"])
        print(f"  updates {r['updates']}: lost {r['updates lost']}")
        print(f"  replies {r['replies']}: lost {r['replies lost']}, duplicated "
              f"{r['replies duplicated']} ({dup_share:.2f} %)")
        print(f"  Tier 1 alerts {r['alerts']}: lost {r['alerts lost']}, duplicated "
              f"{r['alerts duplicated']}")
        for name, values in (("under faults", r["delays chaos"]),
                             (f"{args.crowd} at once, no fault", r["delays crowd"])):
            if values:
                print(f"  Tier 1 alert delay {name}: p50 {statistics.median(values):.2f} s, "
                      f"p99 {percentile(values, 99):.2f} s, max {max(values):.2f} s")
        if r["opening crowd"]:
            values = r["opening crowd"]
            print(f"    of which to the escalation opened (triage, the turn): p50 "
                  f"{statistics.median(values):.2f} s, p99 {percentile(values, 99):.2f} s")
    print("\ntargets: 0 lost; 0 alerts duplicated; replies duplicated < 0.5 %; Tier 1 alert "
          "p99 ≤ 5 s with 50 at once")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--crowd", type=int, default=50)
    parser.add_argument("--arrival", type=float, default=0.5, help="seconds between people")
    parser.add_argument("--fault-every", type=float, default=6.0)
    parser.add_argument("--patience", type=float, default=90.0)
    parser.add_argument("--database", default="bench_rel")
    parser.add_argument("--short", action="store_true", help="the CI version: SQLite, few")
    parser.add_argument("--keep", default=None, help="a folder for the processes' logs")
    args = parser.parse_args(argv)
    if args.short:
        args.backends, args.people, args.crowd, args.arrival = "sqlite", 2, 6, 0.3
        args.fault_every, args.patience = 3.0, 45.0
    return args


async def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse(argv)
    results = [await scenario(backend, args) for backend in args.backends.split(",")]
    report(results, args)
    return results


if __name__ == "__main__":
    asyncio.run(main())
