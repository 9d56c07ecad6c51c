"""Charts drawn headless (matplotlib, Agg) from an outbox payload, at send time, so that no
drawing ever happens inside a database transaction.

Text in every shipped language must come out readable. Since matplotlib 3.11 the renderer
shapes and orders complex scripts itself (libraqm): Arabic and Persian are then passed as
typed, since shaping them here too would reverse them a second time. A renderer that lays
text out one glyph per character, left to right, gets them shaped here instead
(``arabic-reshaper``: the joined letter forms; ``python-bidi``: visual order). Which case
applies is decided by what the renderer does with a probe word, not by its version number
(``renderer_shapes``). DejaVu Sans (bundled with matplotlib) has those joined forms; Amharic's
Ethiopic script comes from Noto Sans Ethiopic, shipped in ``bot/fonts`` (SIL OFL), used as a
per-glyph fallback. Characters no font has (emoji) are dropped rather than drawn as boxes.
"""

from __future__ import annotations

import asyncio
import io
import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import arabic_reshaper
import matplotlib
from bidi.algorithm import get_display

matplotlib.use("Agg")

from fontTools.ttLib import TTFont
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILIES = ["DejaVu Sans", "Noto Sans Ethiopic"]
RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
DIMENSION_COLOURS = {"economic": "#1b9e77", "social": "#d95f02", "psychosocial": "#7570b3",
                     None: "#666666"}
PEOPLE_COLOURS = matplotlib.colormaps["tab20"]
# Drawing takes a tenth of a second or more: it happens on this one thread, never on the
# event loop (an alert must not wait for a chart), and one at a time (matplotlib's font cache
# is shared).
_DRAWING = ThreadPoolExecutor(1, thread_name_prefix="charts")
SIZE = (8, 4.5)
DPI = 100


@lru_cache(maxsize=1)
def _fonts() -> frozenset[int]:
    """Register the shipped fonts; return every code point some font in use can draw."""
    covered: set[int] = set()
    for path in sorted(FONT_DIR.glob("*.ttf")):
        font_manager.fontManager.addfont(str(path))
    for family in FAMILIES:
        path = font_manager.findfont(family, fallback_to_default=False)
        with TTFont(path) as font:
            covered |= set(font.getBestCmap())
    return frozenset(covered)


@lru_cache(maxsize=1)
def renderer_shapes() -> bool:
    """Whether matplotlib's text layout joins Arabic letters and orders right-to-left text
    itself: a probe word ("ابب") is laid out, and a shaping renderer gives the joined forms of
    beh, not the isolated one, with alef drawn right-most."""
    font = ft2font.FT2Font(font_manager.findfont("DejaVu Sans"))
    layout = getattr(font, "_layout", None)  # matplotlib's own text layout (3.11+)
    if layout is None:
        return False
    try:
        items = list(layout("\u0627\u0628\u0628", ft2font.LoadFlags.NO_HINTING))
    except Exception:  # a layout that cannot take the probe cannot shape it either
        return False
    isolated_beh = font.get_char_index(0x0628)
    alef = font.get_char_index(0x0627)
    glyphs = [item.glyph_index for item in items]
    return len(glyphs) == 3 and glyphs[-1] == alef and isolated_beh not in glyphs


def shape(text: str) -> str:
    """Text as it must be given to the renderer: characters no font can show left out, and,
    where the renderer cannot shape, Arabic-script words joined and in visual order."""
    covered = _fonts()
    text = "".join(ch for ch in text if ord(ch) in covered or ch in "\n ")
    if RTL.search(text) and not renderer_shapes():
        return str(get_display(arabic_reshaper.reshape(text)))
    return text


def _figure() -> tuple[Figure, Any]:
    _fonts()
    # no pyplot: no global state to share; tight layout keeps the legend and labels inside
    fig = Figure(figsize=SIZE, dpi=DPI, layout="tight")
    ax = fig.subplots()
    for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
        text.set_family(FAMILIES)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _y(point: dict[str, Any]) -> int:
    strength = point.get("strength") or 3
    return strength if point.get("kind") == "up" else -strength


def wmodel_figure(payload: dict[str, Any]) -> Figure:
    """The W model: months since return across, ups above and downs below the line, each
    point coloured by its part of life and labelled with its note.

    ``points`` is one person's; ``people`` (a list of ``{"label", "points"}``) overlays many,
    one colour each (the programme view). A point: ``{"m", "kind", "strength",
    "dimension", "label"}``.
    """
    fig, ax = _figure()
    ax.axhline(0, color="#888888", linewidth=1)
    people = payload.get("people")
    legend = payload.get("legend") or {}
    months: list[float] = [0.0]
    if people is None:
        points = sorted(payload.get("points", []), key=lambda p: p.get("m") or 0)
        months += [float(p.get("m") or 0) for p in points]
        if points:
            ax.plot([0, *(p.get("m") or 0 for p in points)], [0, *map(_y, points)],
                    color="#3b6ea5", linewidth=1.5, zorder=1)
        for dimension, colour in DIMENSION_COLOURS.items():
            chosen = [p for p in points if p.get("dimension") == dimension]
            if chosen:
                ax.scatter([p.get("m") or 0 for p in chosen], [_y(p) for p in chosen],
                           color=colour, zorder=2, s=36,
                           label=shape(str(legend.get(dimension or "none", dimension or "-"))))
        left, right = _month_range(months)
        for point in points:
            y = _y(point)
            x = point.get("m") or 0
            # near an edge the label grows inwards, so that it is never cut off
            share = (x - left) / (right - left)
            align = "left" if share < 0.15 else "right" if share > 0.85 else "center"
            ax.annotate(shape(str(point.get("label", ""))[:40]), (x, y),
                        textcoords="offset points", xytext=(0, 8 if y >= 0 else -14),
                        ha=align, fontsize=8, family=FAMILIES, annotation_clip=False)
    else:
        for index, person in enumerate(people):
            points = sorted(person.get("points", []), key=lambda p: p.get("m") or 0)
            months += [float(p.get("m") or 0) for p in points]
            colour = PEOPLE_COLOURS(index % 20)
            ax.plot([0, *(p.get("m") or 0 for p in points)], [0, *map(_y, points)],
                    color=colour, linewidth=1, marker="o", markersize=4,
                    label=shape(str(person.get("label", ""))), alpha=0.8)
    ax.set_xlabel(shape(str(payload.get("x_label", "months since return"))))
    ax.set_ylabel(shape(str(payload.get("y_label", "ups and downs"))))
    ax.set_ylim(-6, 6)
    ax.set_xlim(*_month_range(months))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole months, never 0.5
    ax.set_title(shape(str(payload.get("title", ""))))
    if ax.get_legend_handles_labels()[0] and (people is None or len(people) <= 20):
        _legend_below(ax)
    return fig


def _month_range(months: list[float]) -> tuple[float, float]:
    """Months shown: from before the return to after the last point, at least a month wide,
    with room for the first and last labels."""
    last = max(max(months), 1.0)
    pad = max(0.5, last * 0.06)
    return -pad, last + pad


def _legend_below(ax: Any) -> None:
    """The legend under the axes, so that it never covers a point (month 0 included)."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False,
              prop={"family": FAMILIES, "size": 7})


def survey_figure(payload: dict[str, Any]) -> Figure:
    """The three dimension scores (0 to 1) of each complete survey, over time, with the
    handbook's 0.33 and 0.66 lines and the weights version."""
    fig, ax = _figure()
    series = payload.get("series", [])
    legend = payload.get("legend") or {}
    labels = [str(s.get("date", "")) for s in series]
    xs = list(range(len(series)))
    for dimension, colour in list(DIMENSION_COLOURS.items())[:3]:
        ys = [s.get(dimension) for s in series]
        shown = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        if shown:
            ax.plot([x for x, _ in shown], [y for _, y in shown], color=colour, marker="o",
                    label=shape(str(legend.get(dimension, dimension))))
    levels = payload.get("levels") or {}
    for level in (0.33, 0.66):
        ax.axhline(level, color="#bbbbbb", linewidth=0.8, linestyle="--")
        label = levels.get(f"{level:.2f}")
        if label:
            ax.annotate(shape(str(label)), (1.0, level), xycoords=("axes fraction", "data"),
                        xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=7,
                        color="#777777", family=FAMILIES)
    ax.set_xticks(xs, labels)
    ax.set_ylim(0, 1)
    if len(xs) == 1:
        ax.set_xlim(-0.5, 0.5)
    ax.set_ylabel(shape(str(payload.get("y_label", "score"))))
    ax.set_title(shape(str(payload.get("title", ""))))
    if payload.get("note"):  # the weights version, on the case manager's chart only
        fig.text(0.01, 0.01, shape(str(payload["note"])), fontsize=7, family=FAMILIES)
        fig.get_layout_engine().set(rect=(0, 0.04, 1, 1))  # room for it below the legend
    if series:
        _legend_below(ax)
    return fig


def render(payload: dict[str, Any]) -> bytes:
    """The PNG for a chart payload (``chart``: ``wmodel``, the default, or ``survey``)."""
    if payload.get("chart") == "survey":
        return _png(survey_figure(payload))
    return _png(wmodel_figure(payload))


async def render_async(payload: dict[str, Any]) -> bytes:
    """``render`` on the drawing thread, so that the event loop goes on meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_DRAWING, render, payload)


def wmodel_png(payload: dict[str, Any]) -> bytes:
    return _png(wmodel_figure(payload))
