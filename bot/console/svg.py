"""Small charts drawn as inline SVG (no script, no library): mood over time on the case
page, alerts per category per week on the supervision page. Presentation attributes only,
so the page's content security policy needs no inline styles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from typing import Any

from markupsafe import Markup

COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7d8c",
           "#6e7781")


def mood(points: Sequence[dict[str, Any]], width: int = 560, height: int = 160) -> Markup:
    """Mood 1–5 of each check-in, oldest on the left."""
    moods = [(p["at"], p["mood"]) for p in points if p.get("mood")]
    if not moods:
        return Markup("")
    pad = 28
    first: datetime = moods[0][0]
    span = max((moods[-1][0] - first).total_seconds(), 1.0)

    def xy(at: datetime, value: int) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * ((at - first).total_seconds() / span if len(moods) > 1
                                       else 0.5)
        y = height - pad - (height - 2 * pad) * (value - 1) / 4
        return round(x, 1), round(y, 1)

    coords = [xy(at, value) for at, value in moods]
    grid = "".join(
        f'<line x1="{pad}" x2="{width - pad}" y1="{xy(first, v)[1]}" y2="{xy(first, v)[1]}" '
        f'stroke="#d0d7de" stroke-width="1"/><text x="4" y="{xy(first, v)[1] + 4}" '
        f'font-size="11" fill="#57606a">{v}</text>' for v in range(1, 6))
    line = " ".join(f"{x},{y}" for x, y in coords)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="3.5" fill="#1f6feb"><title>'
                   f"{escape(at.strftime('%Y-%m-%d'))}: {value}/5</title></circle>"
                   for (x, y), (at, value) in zip(coords, moods, strict=True))
    labels = (f'<text x="{pad}" y="{height - 6}" font-size="11" fill="#57606a">'
              f"{first:%Y-%m-%d}</text>"
              f'<text x="{width - pad}" y="{height - 6}" font-size="11" fill="#57606a" '
              f'text-anchor="end">{moods[-1][0]:%Y-%m-%d}</text>')
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="xMidYMid meet" direction="ltr">{grid}'
        f'<polyline points="{line}" fill="none" stroke="#1f6feb" stroke-width="2"/>'
        f"{dots}{labels}</svg>")


def weekly(weeks: Sequence[date], series: dict[str, list[int]], width: int = 560,
           height: int = 200) -> Markup:
    """Stacked bars: one per week, one colour per category (legend below, in HTML)."""
    if not weeks or not series:
        return Markup("")
    pad, bottom = 24, 22
    totals = [sum(values[i] for values in series.values()) for i in range(len(weeks))]
    top = max(max(totals), 1)
    slot = (width - 2 * pad) / len(weeks)
    bars = []
    for i, week in enumerate(weeks):
        y = height - bottom
        for n, values in enumerate(series.values()):
            h = (height - bottom - pad) * values[i] / top
            if h:
                y -= h
                bars.append(f'<rect x="{pad + i * slot + 4:.1f}" y="{y:.1f}" '
                            f'width="{slot - 8:.1f}" height="{h:.1f}" '
                            f'fill="{COLOURS[n % len(COLOURS)]}"/>')
        bars.append(f'<text x="{pad + (i + 0.5) * slot:.1f}" y="{height - 6}" font-size="10" '
                    f'fill="#57606a" text-anchor="middle">{week:%m-%d}</text>')
        if totals[i]:
            bars.append(f'<text x="{pad + (i + 0.5) * slot:.1f}" y="{y - 3:.1f}" '
                        f'font-size="10" text-anchor="middle">{totals[i]}</text>')
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
                  f'direction="ltr">{"".join(bars)}</svg>')


def colour(n: int) -> str:
    return COLOURS[n % len(COLOURS)]
