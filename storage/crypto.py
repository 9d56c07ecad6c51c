"""Encryption at rest for what people write: their words in alerts, check-ins, the W model,
survey answers, resolution notes, conversations in progress and messages waiting to be sent.
A copied database file without the key reveals none of it.

Columns typed ``SealedText`` (text) and ``SealedJSON`` (a JSON value) are encrypted with Fernet (AES with an authentication tag) when
a key is in use, and read back transparently. The key comes from ``HOMECOMING_DATA_KEY``; a
development setup without one gets a key file beside its database (``var/data.key``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import JSON, Text, TypeDecorator
from sqlalchemy.engine import Dialect

PREFIX = "enc1:"


class DataKeyError(Exception):
    """Encrypted data that cannot be read with the key in use (or with none)."""


class _Keyring:
    fernet: Fernet | None = None


_KEYRING = _Keyring()


def use_key(key: str | None) -> None:
    """Encrypt from now on with ``key`` (None: store new text as it is)."""
    _KEYRING.fernet = Fernet(key.encode()) if key else None


def key_file(path: Path) -> str:
    """The key kept in ``path``, created (readable by this user only) if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fp:
            fp.write(Fernet.generate_key().decode())
    return path.read_text().strip()


def valid_key(key: str) -> bool:
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


class SealedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or _KEYRING.fernet is None:
            return value
        return PREFIX + _KEYRING.fernet.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        if _KEYRING.fernet is None:
            raise DataKeyError("encrypted text found but no key is in use: set "
                               "HOMECOMING_DATA_KEY")
        try:
            return _KEYRING.fernet.decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise DataKeyError("encrypted text cannot be read with this key: is "
                               "HOMECOMING_DATA_KEY the one it was written with?") from None


SEALED_KEY = "sealed"


class SealedJSON(TypeDecorator[Any]):
    """A JSON value encrypted as a whole when a key is in use: stored as
    ``{"sealed": "enc1:…"}``, so the column stays JSON and rows written without a key (or
    before encryption was introduced) are still read as they are."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or _KEYRING.fernet is None:
            return value
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return {SEALED_KEY: PREFIX + _KEYRING.fernet.encrypt(plain.encode()).decode()}

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if not (isinstance(value, dict) and len(value) == 1 and SEALED_KEY in value):
            return value
        token = str(value[SEALED_KEY])
        if _KEYRING.fernet is None:
            raise DataKeyError("encrypted data found but no key is in use: set "
                               "HOMECOMING_DATA_KEY")
        try:
            return json.loads(_KEYRING.fernet.decrypt(token[len(PREFIX):].encode()))
        except InvalidToken:
            raise DataKeyError("encrypted data cannot be read with this key: is "
                               "HOMECOMING_DATA_KEY the one it was written with?") from None
