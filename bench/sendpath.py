"""CPU per sendMessage: through aiogram's Bot, and posted directly (``bot.telegram.botapi``,
what the aiogram adapter now does for text), in one process against the local Bot API
server (whose own CPU is in both figures alike). The variants alternate for several rounds.

    .venv/bin/python bench/sendpath.py [--sends 1500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.botapi import TOKEN, BotApi  # noqa: E402
from bot.telegram.aiogram_adapter import AiogramAdapter, _keyboard_of  # noqa: E402

PAYLOAD = {"text": "Thank you. How are you feeling this week?",
           "buttons": [{"label": "Good", "data": "f:good"}, {"label": "So-so", "data": "f:mid"},
                       {"label": "Bad", "data": "f:bad"}, {"label": "Menu", "data": "menu"}]}


async def cpu_per_send(send: Callable[[str], Awaitable[object]], sends: int) -> float:
    start = time.process_time()
    for first in range(0, sends, 50):  # 50 chats at a time, as a busy sender has in flight
        await asyncio.gather(*(send(str(1000 + n)) for n in range(first, first + 50)))
    return (time.process_time() - start) / sends * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    api = BotApi()
    await api.start()
    adapter = AiogramAdapter(TOKEN, api.url)

    async def through_aiogram(chat: str) -> object:
        return await adapter.bot.send_message(chat, PAYLOAD["text"],
                                              reply_markup=_keyboard_of(PAYLOAD))

    async def direct(chat: str) -> object:
        return await adapter.send(chat, "text", PAYLOAD)

    found: dict[str, list[float]] = {"aiogram": [], "direct": []}
    try:
        for _ in range(args.rounds + 1):  # the first round warms up, and is not counted
            for name, send in (("aiogram", through_aiogram), ("direct", direct)):
                found[name].append(await cpu_per_send(send, args.sends))
    finally:
        await adapter.close()
        await api.stop()
    aiogram, direct_ = (statistics.median(found[k][1:]) for k in ("aiogram", "direct"))
    print(f"sendMessage, CPU per send (this process and the local server), median of "
          f"{args.rounds} rounds of {args.sends}:")
    print(f"  through aiogram  {aiogram:.3f} ms")
    print(f"  posted directly  {direct_:.3f} ms   ratio {direct_ / aiogram:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
