"""What people write is encrypted at rest, read back transparently, and unreadable without
the key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from storage import crypto
from storage import followups as followups_db
from storage import repository as repo
from storage.db import Database
from storage.models import CheckIn

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def key() -> Iterator[str]:
    value = Fernet.generate_key().decode()
    crypto.use_key(value)
    yield value
    crypto.use_key(None)


async def test_words_are_sealed_at_rest(database: Database, key: str) -> None:
    def write(conn: object) -> None:
        person = repo.create_participant(conn, "t", "1", "en", NOW)  # type: ignore[arg-type]
        followups_db.record_checkin(conn, participant_id=person.id, followup_id=None,  # type: ignore[arg-type]
                                    now=NOW, mood=2, events="my brother was arrested",
                                    needs=["safety"], note="please call me")

    await database.run(write)
    async with database.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT events, note FROM checkins"))).one()
    assert all(value.startswith("enc2:") for value in raw)
    assert "arrested" not in raw[0]
    async with database.sessions() as s:
        record = await s.scalar(select(CheckIn))
    assert record is not None
    assert (record.events, record.note) == ("my brother was arrested", "please call me")
    crypto.use_key(Fernet.generate_key().decode())  # a different key
    async with database.sessions() as s:
        with pytest.raises(crypto.DataKeyError, match="cannot be read with this key"):
            await s.scalar(select(CheckIn))
    crypto.use_key(None)
    async with database.sessions() as s:
        with pytest.raises(crypto.DataKeyError, match="set HOMECOMING_DATA_KEY"):
            await s.scalar(select(CheckIn))


def test_key_file_is_private_and_stable(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "var" / "data.key"
    first = crypto.key_file(path)
    assert crypto.valid_key(first) and crypto.key_file(path) == first
    assert path.stat().st_mode & 0o777 == 0o600


async def test_conversations_and_queued_messages_are_sealed_too(bot: Any, key: str) -> None:
    """Mid-flow answers (a W-model note, survey answers) wait in the conversation, and
    messages wait in the outbox: neither is readable from a copied database file."""
    await bot.onboard()
    await bot.press("wmodel")
    await bot.press("add:down")
    reply = await bot.say("the shop on Rue 10 closed down")
    assert "Roughly when" in reply["text"]  # read back and sent as usual
    async with bot.db.engine.connect() as conn:
        data = (await conn.execute(text("SELECT data FROM conversations"))).scalar_one()
        payloads = (await conn.execute(text("SELECT payload FROM outbox"))).scalars().all()
    raw = [str(data), *map(str, payloads)]
    assert all("sealed" in value and "enc2:" in value for value in raw)
    assert not any("Rue 10" in value or "Roughly when" in value for value in raw)
    from storage.models import Conversation

    async with bot.sessions() as s:
        conversation = await s.scalar(select(Conversation))
    assert conversation is not None
    assert conversation.data["note"] == "the shop on Rue 10 closed down"


def test_values_written_with_fernet_are_still_read(key: str) -> None:
    """Before AES-GCM ("enc2:"), values were Fernet tokens ("enc1:"): still readable."""
    from sqlalchemy.dialects import sqlite

    old = "enc1:" + Fernet(key.encode()).encrypt(b"written last year").decode()
    assert crypto.SealedText().process_result_value(old, sqlite.dialect()) == \
        "written last year"
    sealed = crypto.SealedJSON().process_bind_param({"a": "b"}, sqlite.dialect())
    assert sealed["sealed"].startswith("enc2:")
    assert crypto.SealedJSON().process_result_value(sealed, sqlite.dialect()) == {"a": "b"}
    tampered = {"sealed": sealed["sealed"][:-4] + "AAAA"}
    with pytest.raises(crypto.DataKeyError, match="cannot be read with this key"):
        crypto.SealedJSON().process_result_value(tampered, sqlite.dialect())
