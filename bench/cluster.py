"""Processes of the bot for the benches: a fresh database (SQLite file or a PostgreSQL
database of its own), ``homecoming run`` (polling or webhook) and ``homecoming worker``
processes started with the environment of a deployment, and killed with SIGKILL on demand.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Connection  # noqa: E402

from flows.casework.staff import invite_hash  # noqa: E402
from storage import casework, db  # noqa: E402
from storage import repository as repo  # noqa: E402
from storage.crypto import key_file, use_key  # noqa: E402
from tests.fake_telegram import TOKEN  # noqa: E402

HOMECOMING = str(ROOT / ".venv" / "bin" / "homecoming")
PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def fresh_postgres(name: str) -> str:
    """An empty database ``name`` (dropped first); its SQLAlchemy URL."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN).set(drivername="postgresql+asyncpg", database=name
                                  ).render_as_string(hide_password=False)


async def flush_redis(url: str) -> None:
    from redis import asyncio as redis

    client = redis.from_url(url)
    await client.flushdb()
    await client.aclose()


def add_staff(conn: Connection, chats: list[str], country: str | None, now: datetime,
              role: str = "case_manager") -> None:
    for chat in chats:
        code = f"bench-{chat}"
        casework.create_invite(conn, code_hash=invite_hash(code), role=role,
                               country=country, languages=["en"], now=now,
                               valid_for=timedelta(days=1))
        casework.redeem_invite(conn, invite_hash(code), "telegram", chat, now)


def add_onboarded(conn: Connection, chats: list[int], country: str, now: datetime) -> None:
    """Returnees already onboarded, at the menu (the load bench times the turns after)."""
    for chat in chats:
        person = repo.create_participant(conn, "telegram", str(chat), "en", now)
        person.set(country=country, onboarded_at=now, returned=True,
                   consent_state={"follow_up": True, "case_manager_sharing": True})
        repo.save_participant(conn, person)
        repo.save_conversation(conn, person, repo.ConversationRecord("menu", "main", {},
                                                                       None, None),
                               expires_at=now + timedelta(days=7), now=now)


async def prepare(url: str, data_dir: Path, *populate: Any) -> None:
    """Schema, the data key, and what ``populate`` (functions of a connection and now)
    write."""
    use_key(key_file(data_dir / "data.key"))
    database = db.Database(url)
    await db.upgrade(database.engine)
    now = datetime.now(UTC)
    for fill in populate:
        await database.run(fill, now)
    await database.dispose()


class Cluster:
    """The bot's processes, sharing one database (and Redis, if given)."""

    def __init__(self, database_url: str, api_url: str, data_dir: Path, *,
                 redis_url: str | None = None, port: int = 0, **settings: Any) -> None:
        self.secret = secrets.token_hex(24)
        self.port = port
        self.env = {**os.environ,
                    "HOMECOMING_DATABASE_URL": database_url,
                    "HOMECOMING_TELEGRAM_TOKEN": TOKEN,
                    "HOMECOMING_TELEGRAM_API_URL": api_url,
                    "HOMECOMING_DATA_DIR": str(data_dir),
                    "HOMECOMING_WEBHOOK_SECRET": self.secret,
                    "HOMECOMING_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                    "HOMECOMING_LOG_LEVEL": "WARNING",
                    **{f"HOMECOMING_{k.upper()}": str(v) for k, v in settings.items()}}
        if redis_url:
            self.env["HOMECOMING_REDIS_URL"] = redis_url
        self.data_dir = data_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.roles: dict[str, str] = {}
        self.started_at: dict[str, float] = {}
        self.kills = 0
        self.starts = 0
        self.crashes = 0  # exits the benches did not cause

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def start(self, name: str, role: str) -> None:
        """``role``: "webhook", "poll" or "worker"."""
        args = {"webhook": ["run", "--webhook", self.webhook], "poll": ["run"],
                "worker": ["worker"]}[role]
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.procs[name] = subprocess.Popen([HOMECOMING, *args], env=self.env, cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT)
        self.roles[name] = role
        self.started_at[name] = time.monotonic()
        self.starts += 1

    def kill(self, name: str) -> None:
        """kill -9: no clean stop, no "sent" marks written after this instant."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            self.kills += 1

    def restart(self, name: str) -> None:
        self.kill(name)
        self.start(name, self.roles[name])

    def revive(self) -> list[str]:
        """As a service manager does: start again every process that exited (a start can
        fail while the database is away). Returns their names."""
        dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
        for name in dead:
            self.crashes += 1
            self.start(name, self.roles[name])
        return dead

    def alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            for _ in range(100):
                if proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
