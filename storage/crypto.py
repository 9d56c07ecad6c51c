"""Encryption at rest for what people write: their words in alerts, check-ins, the W model,
survey answers, resolution notes, conversations in progress and messages waiting to be sent.
A copied database file without the key reveals none of it.

Columns typed ``SealedText`` (text) and ``SealedJSON`` (a JSON value) are encrypted when a
key is in use, and read back transparently. The key comes from ``HOMECOMING_DATA_KEY``; a
development setup without one gets a key file beside its database (``var/data.key``).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, Text, TypeDecorator
from sqlalchemy.engine import Dialect

# "enc2:" values are AES-256-GCM (a 12-byte random nonce, then the ciphertext and its tag),
# with a key derived by HKDF from the configured key: about 3 µs per value, where Fernet
# ("enc1:", still read) costs 30 µs, which the hot path pays four times per message.
PREFIX = "enc2:"
FERNET_PREFIX = "enc1:"
SEALED_KEY = "sealed"
NONCE = 12


class DataKeyError(Exception):
    """Encrypted data that cannot be read with the key in use (or with none)."""


class _Keyring:
    fernet: Fernet | None = None
    aead: AESGCM | None = None


_KEYRING = _Keyring()


def use_key(key: str | None) -> None:
    """Encrypt from now on with ``key`` (None: store new text as it is)."""
    if not key:
        _KEYRING.fernet = _KEYRING.aead = None
        return
    _KEYRING.fernet = Fernet(key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"homecoming sealed columns v2").derive(base64.urlsafe_b64decode(key))
    _KEYRING.aead = AESGCM(derived)


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


def seal(plain: bytes) -> str | None:
    """``plain`` encrypted, or None when no key is in use."""
    aead = _KEYRING.aead
    if aead is None:
        return None
    nonce = os.urandom(NONCE)
    return PREFIX + base64.b64encode(nonce + aead.encrypt(nonce, plain, None)).decode()


def is_sealed(value: str) -> bool:
    return value.startswith((PREFIX, FERNET_PREFIX))


def unseal(value: str) -> bytes:
    """The plain bytes of a sealed value (either format)."""
    if _KEYRING.aead is None or _KEYRING.fernet is None:
        raise DataKeyError("encrypted data found but no key is in use: set "
                           "HOMECOMING_DATA_KEY")
    try:
        if value.startswith(FERNET_PREFIX):
            return _KEYRING.fernet.decrypt(value[len(FERNET_PREFIX):].encode())
        raw = base64.b64decode(value[len(PREFIX):])
        return _KEYRING.aead.decrypt(raw[:NONCE], raw[NONCE:], None)
    except (InvalidToken, InvalidTag, ValueError):
        raise DataKeyError("encrypted data cannot be read with this key: is "
                           "HOMECOMING_DATA_KEY the one it was written with?") from None


class SealedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return value
        return seal(value.encode()) or value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_sealed(value):
            return value
        return unseal(value).decode()


class SealedJSON(TypeDecorator[Any]):
    """A JSON value encrypted as a whole when a key is in use: stored as
    ``{"sealed": "enc2:…"}``, so the column stays JSON and rows written without a key (or
    before encryption was introduced) are still read as they are."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return value
        sealed = seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        return value if sealed is None else {SEALED_KEY: sealed}

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if not (isinstance(value, dict) and len(value) == 1 and SEALED_KEY in value):
            return value
        return json.loads(unseal(str(value[SEALED_KEY])))
