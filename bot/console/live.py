"""Live updates: one watcher per process reads the queue's signature every few seconds
(one cheap statement however many pages are open) and tells every open page when it
changed; each page then fetches its own rows, through its own session and scope. The
watcher reads the database rather than listening to this process's engine, so a console
beside a separate bot or several workers sees every alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class QueueWatch:
    def __init__(self, read: Callable[[], Awaitable[Any]], every: float) -> None:
        self.read = read
        self.every = every
        self._listeners: set[asyncio.Queue[str]] = set()
        self._task: asyncio.Task[None] | None = None
        self._last: Any = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def listen(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=4)
        self._listeners.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[str]) -> None:
        self._listeners.discard(queue)

    async def _run(self) -> None:
        while True:
            try:
                # Read even with no page open: a page that opens later refreshes once on
                # connecting, and every change after that reaches it at the next read.
                signature = await self.read()
                if self._last is not None and signature != self._last:
                    for queue in list(self._listeners):
                        with contextlib.suppress(asyncio.QueueFull):
                            queue.put_nowait("queue")
                self._last = signature
            except Exception as exc:  # the database away for a moment: try again
                log.warning("queue watch failed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(self.every)
