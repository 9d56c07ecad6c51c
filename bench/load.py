"""Updates per second and reply latency over HTTP, on PostgreSQL + Redis, with one and
with two of each process: webhook → engine → outbox → sender → a local Bot API server.

For each layout it starts, with the environment of a deployment, ``homecoming run
--webhook`` processes (on one port, the kernel sharing connections) and as many
``homecoming worker`` processes, on a fresh PostgreSQL database and one Redis database
(the shared rate limit). Returnees already onboarded each press a button of the last
message they got (a walk through the menu, information pages, check-ins…), at one update
every ``--interval`` seconds each (above Telegram's one message a second per chat, so pacing
adds no wait); together they offer ``--rate`` updates a second. Each update is timed from
its POST to its reply reaching the Bot API server. The global send rate is raised for the
bench (Telegram's own 30 a second would cap the replies, not the bot).

    .venv/bin/python bench/load.py [--rate 300] [--seconds 20] [--layouts 1,2]
                                   [--loops asyncio,uvloop] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, ClientTimeout, TCPConnector  # noqa: E402

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

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
AVOID = ("person", "help", "delete", "erase", "forget", "stop", "pause", "numbers")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """CPU time (user + system) each bot process has used so far."""
    return {name: used for name, proc in cluster.procs.items()
            if (used := process_cpu(proc.pid)) is not None}


def process_cpu(pid: int) -> float | None:
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / ticks


async def others_cpu(database: str) -> dict[str, float]:
    """CPU time so far of this process (the load and the Bot API server) and of the
    PostgreSQL backends serving ``database`` (those on this machine)."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        pids = [row[0] for row in await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
    finally:
        await conn.close()
    own = process_cpu(os.getpid()) or 0.0
    return {"bench": own, **{f"pg{pid}": used for pid in pids
                             if (used := process_cpu(pid)) is not None}}


async def sample_waits(database: str, warm: float, end: float,
                       into: list[tuple[float, list[str]]]) -> None:
    """Every 100 ms, what the PostgreSQL backends serving ``database`` wait for (``--trace``):
    a backend running or waiting on anything but its client."""
    import asyncpg

    await asyncio.sleep(max(0.0, warm - time.monotonic()))
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        while time.monotonic() < end:
            rows = await conn.fetch(
                "SELECT coalesce(wait_event_type || ':' || wait_event, 'running') FROM "
                "pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND "
                "state = 'active' AND coalesce(wait_event_type, '') <> 'Client'", database)
            into.append((time.monotonic() - warm, [row[0] for row in rows]))
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


def print_trace(trace: list[tuple[float, float]], waits: list[tuple[float, list[str]]]
                ) -> None:
    """Per second of the run: replies, their p50 and max, and the backends' commonest
    waits (summed over that second's samples)."""
    import collections

    per: dict[int, list[float]] = collections.defaultdict(list)
    for at, latency in trace:
        per[int(at)].append(latency)
    seen: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for at, events in waits:
        seen[int(at)].update(events)
    print(f"{'second':>6}{'replies':>8}{'p50 ms':>9}{'max ms':>9}  PostgreSQL waits")
    for second in sorted(per):
        values = sorted(per[second])
        top = ", ".join(f"{name} {n}" for name, n in seen[second].most_common(3))
        print(f"{second:>6}{len(values):>8}{values[len(values) // 2]:>9.1f}"
              f"{values[-1]:>9.1f}  {top}")


def buttons_of(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        import json

        markup = json.loads(markup)
    rows = (markup or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b
            and not any(word in b["callback_data"] for word in AVOID)]


async def run_layout(processes: int, loop: str, args: argparse.Namespace
                     ) -> dict[str, Any]:
    url = await fresh_postgres(args.database)
    await flush_redis(REDIS)
    chats = [300_000 + n for n in range(round(args.rate * args.interval))]
    api = BotApi()
    await api.start()
    waiting: dict[int, asyncio.Future[tuple[float, dict[str, Any]]]] = {}

    def on_send(chat: int, _method: str, params: dict[str, Any]) -> None:
        future = waiting.pop(chat, None)
        if future is not None and not future.done():
            future.set_result((time.monotonic(), params))

    api.on_send = on_send
    with (contextlib.nullcontext(tempfile.mkdtemp(dir=args.keep)) if args.keep
          else tempfile.TemporaryDirectory()) as tmp:
        await prepare(url, Path(tmp),
                      lambda c, now: add_staff(c, ["900001"], None, now, "supervisor"),
                      lambda c, now: add_onboarded(c, chats, "SN", now))
        cluster = Cluster(url, api.url, Path(tmp), redis_url=REDIS, port=free_port(),
                          telegram_rate_per_second=10_000, event_loop=loop)
        try:
            return {**await drive(processes, args, api, cluster, chats, waiting),
                    "loop": loop}
        finally:
            await cluster.stop()
            await api.stop()


async def drive(processes: int, args: argparse.Namespace, api: BotApi, cluster: Cluster,
                chats: list[int],
                waiting: dict[int, asyncio.Future[tuple[float, dict[str, Any]]]],
                ) -> dict[str, Any]:
    for n in range(processes):
        cluster.start(f"web{n}", "webhook")
        cluster.start(f"worker{n}", "worker")
    deadline = time.monotonic() + 120
    while api.webhooks_set < processes or api.getmes < 2 * processes:
        if time.monotonic() > deadline:
            raise SystemExit(f"the bot did not start: see {cluster.data_dir}/*.log")
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    cpu_before: dict[str, float] = {}
    others_before: dict[str, float] = {}
    latencies: list[float] = []
    trace: list[tuple[float, float]] = []  # (seconds since warm, reply latency ms)
    waits: list[tuple[float, list[str]]] = []  # (seconds since warm, backends' waits)
    lost = 0
    measured = 0
    started = time.monotonic()
    warm = started + args.warmup
    end = warm + args.seconds
    connector = TCPConnector(limit=400)
    headers = {"X-Telegram-Bot-Api-Secret-Token": cluster.secret}

    async with ClientSession(connector=connector,
                             timeout=ClientTimeout(total=30)) as session:

        async def mark_cpu() -> None:
            await asyncio.sleep(max(0.0, warm - time.monotonic()))
            cpu_before.update(cpu_seconds(cluster))
            others_before.update(await others_cpu(args.database))

        marker = asyncio.create_task(mark_cpu())
        sampler = asyncio.create_task(sample_waits(args.database, warm, end, waits)
                                      if args.trace else asyncio.sleep(0))

        async def one_chat(chat: int, offset: float) -> None:
            nonlocal lost, measured
            options: list[str] = []
            at = started + offset
            while at < end:
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                if options:
                    update = api.button(chat, random.choice(options))
                else:
                    update = api.text_update(chat, "/menu")
                api.next_update_id += 1
                update = {"update_id": api.next_update_id, **update}
                future = asyncio.get_running_loop().create_future()
                waiting[chat] = future
                sent = time.monotonic()
                try:
                    async with session.post(cluster.webhook, json=update,
                                            headers=headers) as response:
                        await response.read()
                except Exception:
                    pass  # timed out: counted below if no reply came either
                try:
                    arrived, params = await asyncio.wait_for(future, timeout=5)
                except TimeoutError:
                    waiting.pop(chat, None)
                    lost += sent >= warm
                    options = []
                else:
                    if sent >= warm and arrived <= end:
                        latencies.append((arrived - sent) * 1000)
                        trace.append((sent - warm, (arrived - sent) * 1000))
                        measured += 1
                    options = buttons_of(params)
                at += args.interval

        await asyncio.gather(*(one_chat(chat, n * args.interval / len(chats))
                               for n, chat in enumerate(chats)))
        await marker
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler  # its connection closed before the figures are read
        cpu_after = cpu_seconds(cluster)
        if args.trace:
            print_trace(trace, waits)
            print("bot CPU ms/update by process: " + ", ".join(
                f"{k} {(v - cpu_before.get(k, 0.0)) * 1000 / max(1, measured):.2f}"
                for k, v in sorted(cpu_after.items())))
        others_after = await others_cpu(args.database)
    cpu = sum(cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after)
    bench = others_after["bench"] - others_before.get("bench", 0.0)
    postgres = sum(v - others_before[k] for k, v in others_after.items()
                   if k != "bench" and k in others_before)
    per = 1000 / max(1, measured)
    return {"cpu ms": cpu * per, "bench ms": bench * per, "pg ms": postgres * per,
            "processes": processes,
            "updates/s": measured / args.seconds,
            "p50": statistics.median(latencies), "p99": percentile(latencies, 99),
            "max": max(latencies), "lost": lost}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="updates offered a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, after warm-up")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=1.25,
                        help="seconds between one returnee's updates")
    parser.add_argument("--layouts", default="1,2", help="processes of each kind, per run")
    parser.add_argument("--loops", default="auto",
                        help="event loops, per layout: auto (uvloop where installed), "
                             "uvloop, asyncio; e.g. asyncio,uvloop to compare in one run")
    parser.add_argument("--database", default="bench_rel")
    parser.add_argument("--keep", default=None, help="a folder for the processes' logs")
    parser.add_argument("--trace", action="store_true",
                        help="also print each second's replies and PostgreSQL's waits, and each "
                             "process's CPU an update")
    args = parser.parse_args()
    results = [await run_layout(int(n), loop, args) for n in args.layouts.split(",")
               for loop in args.loops.split(",")]
    print(f"load benchmark: {args.rate:g} updates/s offered by "
          f"{round(args.rate * args.interval)} returnees over HTTP, {args.seconds:g} s "
          "measured; PostgreSQL + Redis; webhook → engine → outbox → sender → local Bot API")
    print(f"{'layout':<34}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'no reply':>9}{'bot CPU ms/update':>19}{'PostgreSQL':>11}{'bench':>7}")
    for r in results:
        n = r["processes"]
        name = f"{n} webhook + {n} worker{'s' if n > 1 else ''}, {r['loop']}"
        print(f"{name:<34}{r['updates/s']:>10.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
              f"{r['max']:>9.1f}{r['lost']:>9}{r['cpu ms']:>19.1f}{r['pg ms']:>11.1f}"
              f"{r['bench ms']:>7.1f}")
    print("CPU ms per update: the bot's processes; the PostgreSQL backends serving them; "
          "this script (the load and the Bot API server)")
    print("target: at least 300 updates/s with reply p99 under 250 ms")


if __name__ == "__main__":
    asyncio.run(main())
