"""Files the bot writes that hold people's words (exports, charts): owner-only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO


def private_file(path: Path, mode: str = "w") -> IO[str]:
    """Open ``path`` for writing text, readable by its owner only (also if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    return os.fdopen(fd, mode, encoding="utf-8", newline="")


def write_private_bytes(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(fd, "wb") as fp:
        fp.write(data)
