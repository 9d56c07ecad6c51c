"""The terminal transport: a conversation in the shell, through the same engine and outbox.

Buttons are shown as numbered choices; typing the number presses that button, and typing
its label works too (the engine matches labels on every channel).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.charts import render_async
from bot.files import write_private_bytes
from bot.runtime import Runtime
from flows.engine.events import Event, EventKind, Msg
from flows.l10n.i18n import N_

CHANNEL = "terminal"
QUIT = {"/quit", "/exit"}
ADVANCE = re.compile(r"/advance\s+(\d+)\s*([hdw])", re.IGNORECASE)


class DemoClock:
    """The chat's own time, which ``/advance 14d`` moves forward to show follow-ups.

    With a ``path`` the offset is kept in that file (beside the chat's database), so that a
    restarted chat is still at the time it had reached: its planned follow-ups stay ahead.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.offset = timedelta()
        if path is not None and path.exists():
            try:
                self.offset = timedelta(seconds=float(path.read_text().strip() or 0))
            except ValueError:
                self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, amount: int, unit: str) -> None:
        self.offset += {"h": timedelta(hours=amount), "d": timedelta(days=amount),
                        "w": timedelta(weeks=amount)}[unit.lower()]
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"{self.offset.total_seconds():.0f}\n")


class TerminalTransport:
    channel = CHANNEL

    def __init__(self, out: TextIO | None = None, charts_dir: Path | None = None) -> None:
        self.out = out or sys.stdout
        self.buttons: dict[str, list[dict[str, str]]] = {}
        self.typed_numbers: dict[str, bool] = {}
        self.charts_dir = charts_dir or Path("var") / "charts"
        self.charts = 0

    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == "chart":  # drawn to a file; the question's buttons stay as they were
            self.charts_dir.mkdir(parents=True, exist_ok=True)
            self.charts += 1
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            path = self.charts_dir / f"chart-{stamp}-{self.charts}.png"
            write_private_bytes(path, await render_async(payload))
            self.out.write(f"\nbot: [{payload.get('caption', '')}: {path}]\n")
            self.out.flush()
            return
        self.typed_numbers[chat_id] = bool(payload.get("typed_numbers"))
        text = payload.get("text") or payload.get("fallback_text", "")
        lines = ["", *(f"bot: {line}" if i == 0 else f"     {line}"
                       for i, line in enumerate(text.splitlines()))]
        buttons = payload.get("buttons") or []
        for number, button in enumerate(buttons, start=1):
            lines.append(f"  [{number}] {button['label']}")
        self.buttons[chat_id] = buttons
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def event_for(self, chat_id: str, line: str, locale_hint: str | None,
                  country_hint: str | None = None) -> Event:
        """A typed number that matches a shown button is a button press: the numbers are
        on screen, so "10" beside "[10] March 2026" is that month, also where the question
        takes numbers too (any other number, or "4 months", is still an answer)."""
        text = line.strip()
        buttons = self.buttons.get(chat_id) or []
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            return Event(CHANNEL, chat_id, EventKind.BUTTON, payload=buttons[int(text) - 1]["data"],
                         locale_hint=locale_hint, country_hint=country_hint)
        return Event.from_text(CHANNEL, chat_id, text, locale_hint=locale_hint,
                               country_hint=country_hint)


async def chat(
    runtime: Runtime,
    transport: TerminalTransport,
    *,
    chat_id: str = "local",
    locale_hint: str | None = None,
    read_line: Callable[[], str] = input,
    clock: DemoClock | None = None,
    country_hint: str | None = None,
) -> None:
    """Talk until /quit or end of input. Starting again continues where the person was."""
    catalogs = runtime.engine.catalogs
    locale = await runtime.engine.locale_of(CHANNEL, chat_id, locale_hint)
    transport.out.write(
        catalogs.render(locale, Msg(N_("Homecoming, local chat. Type /quit to leave."))) + "\n"
    )
    # "/continue" asks again the question the person was at (the first one, for someone
    # new): running the command again continues where they left off.
    await runtime.engine.handle(Event.from_text(CHANNEL, chat_id, "/continue",
                                                locale_hint=locale_hint,
                                                country_hint=country_hint))
    await runtime.sender.drain()
    while True:
        try:
            line = await asyncio.to_thread(_prompt, read_line, transport.out)
        except EOFError:
            break
        if line.strip().lower() in QUIT:
            break
        if not line.strip():
            continue
        advance = ADVANCE.fullmatch(line.strip())
        if advance is not None and clock is not None:
            clock.advance(int(advance.group(1)), advance.group(2))
            locale = await runtime.engine.locale_of(CHANNEL, chat_id, locale_hint)
            transport.out.write(catalogs.render(locale, Msg(
                N_("(demo clock: it is now {time})"),
                {"time": clock().strftime("%Y-%m-%d %H:%M UTC")})) + "\n")
            await runtime.engine.run_followups()
            await runtime.engine.sweep()
            await runtime.engine.expire_surveys()
            await runtime.sender.drain()
            await _say_next_checkin(runtime, transport, chat_id, locale)
            continue
        await runtime.engine.handle(transport.event_for(chat_id, line, locale_hint,
                                                        country_hint))
        await runtime.sender.drain()
    locale = await runtime.engine.locale_of(CHANNEL, chat_id, locale_hint)
    transport.out.write(
        "\n"
        + catalogs.render(locale, Msg(N_("Bye. Run the same command again to continue where "
                                         "you left off.")))
        + "\n"
    )


async def _say_next_checkin(runtime: Runtime, transport: TerminalTransport, chat_id: str,
                            locale: str) -> None:
    """When the next check-in will arrive, in the person's language and country's time."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_time

    from flows.l10n.dates import long_date, regional

    catalogs = runtime.engine.catalogs
    upcoming = await runtime.engine.next_checkin(CHANNEL, chat_id)
    if upcoming is None:
        text = catalogs.render(locale, Msg(N_("(no check-in is planned)")))
    else:
        when, zone, country = upcoming
        local = when.astimezone(ZoneInfo(zone))
        text = catalogs.render(locale, Msg(N_("(the next check-in arrives on {date} at "
                                              "{time})"), {
            "date": long_date(local.date(), locale, country),
            "time": format_time(local, "short", locale=regional(locale, country))}))
    transport.out.write(text + "\n")


def _prompt(read_line: Callable[[], str], out: TextIO) -> str:
    out.write("> ")
    out.flush()
    return read_line()
