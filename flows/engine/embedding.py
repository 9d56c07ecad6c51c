"""Free text from several updates at once is embedded together, in one call of the model.

Triage embeds a message on a thread of its own (the event loop goes on). When many people
write at once (50 people in distress after a news event, a burst of redelivered updates
after an outage) one by one they queue behind each other: on the project's 2-core test
machine, with other work running, 50 messages took ~15 s one at a time and ~2 s as one
batch. Here a message arriving while a batch runs waits for the next one, taken as soon as
the model is free; a message alone is embedded at once, as before.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from flows.engine.context import Context
from flows.triage import Embedded
from flows.triage.triage import pieces

_THREAD = ThreadPoolExecutor(1, thread_name_prefix="embedding-batch")
MAX_BATCH = 64


class Embeddings:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._waiting: list[tuple[str, asyncio.Future[Embedded]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def embed(self, text: str) -> Embedded:
        future: asyncio.Future[Embedded] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            await asyncio.sleep(0)  # the other updates of this turn of the loop join in
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                done = await loop.run_in_executor(_THREAD, self._embed_all,
                                                  [text for text, _ in batch])
            except Exception as exc:  # each waiting update fails as it would have alone
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), embedded in zip(batch, done, strict=True):
                if not future.done():
                    future.set_result(embedded)

    def _embed_all(self, texts: list[str]) -> list[Embedded]:
        embedder = self.ctx.triage.embedder
        assert embedder is not None
        parts = [pieces(text) for text in texts]
        vectors = embedder.embed([piece for part in parts for piece in part])
        found, start = [], 0
        for text, part in zip(texts, parts, strict=True):
            found.append(Embedded(text, part, vectors[start:start + len(part)]))
            start += len(part)
        return found
