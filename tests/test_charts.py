"""The W chart: a real PNG, drawn at send time; /case queues it for the case manager."""

from __future__ import annotations

import struct
import unicodedata
from typing import Any

import arabic_reshaper
import pytest
from bidi.algorithm import get_display
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font, LoadFlags
from sqlalchemy import select

from bot.charts import render, renderer_shapes, shape, survey_figure, wmodel_figure, wmodel_png
from storage.models import OutboxMessage
from tests.desk import CM2, RETURNEE, Desk


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_wmodel_png_is_a_picture() -> None:
    data = wmodel_png({"title": "W model of R-1", "points": [
        {"m": 1.0, "kind": "down", "strength": 4, "label": "no work"},
        {"m": 3.5, "kind": "up", "strength": 3, "label": "found a job"}]})
    assert png_size(data) == (800, 450)
    assert png_size(wmodel_png({"points": []})) == (800, 450)  # empty is still a chart


async def test_case_sends_the_w_chart(desk: Desk) -> None:
    await desk.say(RETURNEE, "/checkin")
    await desk.press(RETURNEE, "mood:3")
    await desk.say(RETURNEE, "Found a small job")
    await desk.press(RETURNEE, "up")
    await desk.say(RETURNEE, "I feel so sad")  # something for /case to show
    from storage.models import Escalation

    async with desk.db.sessions() as s:
        escalation_id = await s.scalar(select(Escalation.id))
    case, _chart = await desk.say(CM2, f"/case {escalation_id}")
    assert "“Found a small job”" in case["text"]
    async with desk.db.sessions() as s:
        chart = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "chart"))
    assert chart is not None and chart.chat_id == CM2
    assert chart.payload["points"][0]["label"] == "Found a small job"
    assert png_size(wmodel_png(chart.payload))[0] == 800



async def test_case_shows_survey_scores_with_their_weights_and_sends_the_chart(
        desk: Desk) -> None:
    from flows.research.scoring import Weights
    from storage import research
    from storage.models import Participant
    from tests.test_survey import EXAMPLE

    await desk.say(RETURNEE, "I feel so sad")  # an escalation to open the case from
    async with desk.db.sessions() as s:
        person = await s.scalar(select(Participant.id))
    many = dict(EXAMPLE, **{str(n): "dont_know" for n in (3, 11, 13, 15, 16, 17, 18, 20)})
    scores = Weights.load().score(many, "phone")
    await desk.db.run(research.complete, person, many, scores.as_dict(), "phone", desk.clock())
    case, _w_chart_or_survey, *_ = await desk.say(CM2, "/case 1")
    assert "Survey scores (suggestions, not decisions):" in case["text"]
    assert "(phone): economic" in case["text"] and "composite" in case["text"]
    assert "Weights provisional-2026.1: provisional, not validated." in case["text"]
    assert "⚠ 9 answers were “don't know” or “don't wish to answer”." in case["text"]
    async with desk.db.sessions() as s:
        charts = list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "chart")))
    [survey] = [c for c in charts if c.payload.get("chart") == "survey"]
    assert survey.chat_id == CM2 and len(survey.payload["series"]) == 1
    assert "provisional" in survey.payload["note"]
    assert png_size(render(survey.payload)) == (800, 450)

# Every shipped language must come out readable ----------------------------------------

ARABIC = "وجدت عملاً صغيراً"
PERSIAN = "کار پیدا کردم"
AMHARIC = "ሥራ አገኘሁ"


def drawn_texts(figure: Any) -> list[str]:
    ax = figure.axes[0]
    texts = [t.get_text() for t in ax.texts]
    texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    legend = ax.get_legend()
    if legend is not None:
        texts += [t.get_text() for t in legend.get_texts()]
    return texts


def _font() -> FT2Font:
    return FT2Font(font_manager.findfont("DejaVu Sans"))


def _letter_forms(glyphs: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """Each glyph as (letter, joining form), left to right; marks and joiners left out.

    A base letter's own glyph is its isolated form; a presentation form names its form
    ("ARABIC LETTER BEH INITIAL FORM"). Comparing forms, not glyph numbers, lets the two ways
    of drawing the same joined word (the renderer's shaping, or presentation forms) agree.
    """
    font = _font()
    points = [*range(0x20, 0x7F), *range(0x0600, 0x0700), *range(0xFB50, 0xFF00)]
    char_of = {}
    for point in reversed(points):  # base letters win over their isolated presentation form
        index = font.get_char_index(point)
        if index:
            char_of[index] = chr(point)
    forms = []
    for source, glyph in glyphs:
        if all(unicodedata.category(c) in {"Mn", "Cf"} for c in source):  # marks, half-spaces
            continue
        ch = char_of.get(glyph)
        if ch is None:
            forms.append((f"glyph {glyph}", ""))
            continue
        if unicodedata.category(ch) in {"Mn", "Cf"}:
            continue
        name = unicodedata.name(ch, "")
        form = next((f for f in ("INITIAL", "MEDIAL", "FINAL") if f" {f} FORM" in name),
                    "ISOLATED")
        forms.append((unicodedata.normalize("NFKC", ch), form))
    return forms


def drawn(text: str) -> list[tuple[str, str]]:
    """What the installed matplotlib draws for ``text``, left to right: its own text layout
    where it has one (3.11+, libraqm), else one glyph per character as given."""
    font = _font()
    if hasattr(font, "_layout"):
        return _letter_forms([(item.char, item.glyph_index)
                              for item in font._layout(text, LoadFlags.NO_HINTING)])
    return _letter_forms([(ch, font.get_char_index(ord(ch))) for ch in text])


def how_it_must_look(text: str) -> list[tuple[str, str]]:
    """The reference: joined letter forms, right to left (shaped and reordered here, with the
    text never given to a renderer)."""
    font = _font()
    visual = get_display(arabic_reshaper.reshape(text))
    return _letter_forms([(ch, font.get_char_index(ord(ch))) for ch in visual])


RTL_LABELS = [ARABIC, PERSIAN, "صعودي وهبوطي منذ العودة", "ماه‌ها پس از بازگشت",
              "نتائج الاستبيان", "کار و پول", "عائلتي ساعدتني"]


@pytest.mark.parametrize("label", RTL_LABELS)
def test_right_to_left_labels_are_drawn_joined_and_right_to_left(label: str) -> None:
    """What the renderer draws from ``shape(label)`` is the joined, right-to-left word; a
    label shaped twice (here and by the renderer) comes out backwards and fails."""
    assert drawn(shape(label)) == how_it_must_look(label)
    reversed_twice = get_display(arabic_reshaper.reshape(label))
    if renderer_shapes():  # the defect this guards against: shaping on top of the renderer
        assert drawn(reversed_twice) != how_it_must_look(label)


def test_the_probe_agrees_with_the_renderer() -> None:
    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    assert renderer_shapes() == hasattr(font, "_layout")  # matplotlib 3.11+ shapes (locked)
    assert shape(AMHARIC) == AMHARIC and shape("found a job") == "found a job"
    assert shape("good 漢") == "good "  # no font here has it: left out, not a box


def test_every_text_of_an_arabic_chart_reads_right_to_left() -> None:
    labels = {"title": "صعودي وهبوطي منذ العودة", "x_label": "الأشهر منذ العودة",
              "y_label": "الصعود والهبوط", "economic": "العمل والمال", "point": ARABIC}
    figure = wmodel_figure({
        "title": labels["title"], "x_label": labels["x_label"], "y_label": labels["y_label"],
        "legend": {"economic": labels["economic"]},
        "points": [{"m": 2, "kind": "up", "strength": 3, "dimension": "economic",
                    "label": labels["point"]}]})
    on_the_chart = [drawn(text) for text in drawn_texts(figure)]
    for label in labels.values():
        assert how_it_must_look(label) in on_the_chart, label


def test_the_survey_chart_draws_three_dimensions_over_time() -> None:
    payload = {"chart": "survey", "title": "نتائج", "note": "Weights v1: provisional",
               "legend": {"economic": "اقتصادي", "social": "Social", "psychosocial": "ሥነ ልቦና"},
               "series": [
                   {"date": "2026-05-01", "economic": 0.4, "social": 0.6, "psychosocial": 0.2},
                   {"date": "2026-09-01", "economic": 0.5, "social": None,
                    "psychosocial": 0.45}]}
    figure = survey_figure(payload)
    lines = [line for line in figure.axes[0].get_lines() if len(line.get_xdata()) > 0
             and line.get_linestyle() == "-"]
    assert sorted(len(line.get_xdata()) for line in lines) == [1, 2, 2]
    assert png_size(render(payload)) == (800, 450)


def test_programme_chart_overlays_people_one_colour_each() -> None:
    payload = {"title": "SN", "people": [
        {"label": f"R-{n}", "points": [{"m": n, "kind": "up", "strength": 2, "label": "x"}]}
        for n in range(3)]}
    figure = wmodel_figure(payload)
    colours = {line.get_color() for line in figure.axes[0].get_lines()[1:]}
    assert len(colours) == 3


async def test_charts_are_drawn_off_the_event_loop(monkeypatch: Any) -> None:
    """An alert must not wait behind a chart: drawing runs on its own thread."""
    import threading

    from bot import charts

    threads: list[int] = []
    real = charts.render

    def spy(payload: dict[str, Any]) -> bytes:
        threads.append(threading.get_ident())
        return real(payload)

    monkeypatch.setattr(charts, "render", spy)
    data = await charts.render_async({"points": []})
    assert png_size(data) == (800, 450)
    assert threads and threads[0] != threading.get_ident()


# What a returnee sees on the W chart -----------------------------------------------------

def _drawn(figure: Any) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def test_the_legend_covers_no_point_and_no_label_is_cut() -> None:
    points = [{"m": 0, "kind": "down", "strength": 4, "dimension": "economic",
               "label": "no work at all when I came back"},
              {"m": 1, "kind": "up", "strength": 5, "dimension": "social",
               "label": "my family welcomed me"},
              {"m": 7, "kind": "up", "strength": 5, "dimension": "psychosocial",
               "label": "opened a small shop with my cousin"}]
    figure = wmodel_figure({"points": points, "legend": {
        "economic": "Work and money", "social": "People", "psychosocial": "Feelings"}})
    renderer = _drawn(figure)
    ax = figure.axes[0]
    legend_box = ax.get_legend().get_window_extent(renderer)
    for point in points:
        x, y = ax.transData.transform((point["m"], -point["strength"] if point["kind"] == "down"
                                       else point["strength"]))
        assert not legend_box.contains(x, y)
    assert not legend_box.overlaps(ax.get_window_extent(renderer))  # below the axes
    figure_box = figure.bbox
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1, text.get_text()


def test_months_are_whole_and_one_point_still_gives_a_readable_axis() -> None:
    figure = wmodel_figure({"points": [{"m": 0, "kind": "up", "strength": 2, "label": "home"}]})
    _drawn(figure)
    ax = figure.axes[0]
    left, right = ax.get_xlim()
    assert left < 0 and right >= 1  # not 0.00–0.05
    ticks = [t for t in ax.get_xticks() if left <= t <= right]
    assert ticks and all(float(t).is_integer() for t in ticks)
    figure = wmodel_figure({"points": [{"m": 1, "kind": "up", "strength": 2, "label": "a"},
                                       {"m": 2, "kind": "down", "strength": 2, "label": "b"}]})
    _drawn(figure)
    assert all(float(t).is_integer() for t in figure.axes[0].get_xticks())  # no 0.5, 1.5


def test_survey_reference_lines_are_named() -> None:
    payload = {"chart": "survey", "levels": {"0.33": "below 0.33: more support suggested",
                                             "0.66": "above 0.66: light support suggested"},
               "series": [{"date": "2026-05-01", "economic": 0.4, "social": 0.6,
                           "psychosocial": 0.2}]}
    texts = [t.get_text() for t in survey_figure(payload).axes[0].texts]
    assert "below 0.33: more support suggested" in texts
    assert "above 0.66: light support suggested" in texts
