"""The W chart: a real PNG, drawn at send time; /case queues it for the case manager."""

from __future__ import annotations

import struct
import warnings
from typing import Any

import arabic_reshaper
from bidi.algorithm import get_display
from sqlalchemy import select

from bot.charts import render, shape, survey_figure, wmodel_figure, wmodel_png
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
    from flows.scoring import Weights
    from storage import research
    from storage.models import Participant
    from tests.test_survey import EXAMPLE

    await desk.say(RETURNEE, "I feel so sad")  # an escalation to open the case from
    async with desk.db.sessions() as s:
        person = await s.scalar(select(Participant.id))
    many = dict(EXAMPLE, **{str(n): "dont_know" for n in (1, 2, 3, 4, 11, 12, 13, 14)})
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


def test_right_to_left_labels_are_shaped_and_in_visual_order() -> None:
    shaped = shape(ARABIC)
    assert shaped == get_display(arabic_reshaper.reshape(ARABIC))
    # joined letter forms (Arabic Presentation Forms), not the isolated letters typed
    assert any("\ufb50" <= ch <= "\ufeff" for ch in shaped)
    assert not any("\u0627" <= ch <= "\u064a" for ch in shaped)
    # visual order: the word typed first is drawn last (right-most), read right to left
    first_word = shape(ARABIC.split()[0])
    assert shaped.endswith(first_word)
    assert shape(AMHARIC) == AMHARIC and shape("found a job") == "found a job"
    assert shape("good 漢") == "good "  # no font here has it: left out, not a box


def test_charts_in_arabic_persian_and_amharic_have_no_missing_glyphs() -> None:
    payload = {"title": "نموذج W", "x_label": "ماه‌ها پس از بازگشت", "y_label": "ውጣ ውረዶች",
               "legend": {"economic": "العمل والمال", "social": "ሰዎች", "psychosocial": "احساسات"},
               "points": [
                   {"m": 1, "kind": "up", "strength": 4, "dimension": "economic", "label": ARABIC},
                   {"m": 3, "kind": "down", "strength": 2, "dimension": "social",
                    "label": AMHARIC},
                   {"m": 5, "kind": "up", "strength": 3, "dimension": "psychosocial",
                    "label": PERSIAN}]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = wmodel_figure(payload)
        texts = drawn_texts(figure)
        data = render(payload)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    assert png_size(data) == (800, 450)
    assert shape(ARABIC) in texts and shape(PERSIAN) in texts and AMHARIC in texts
    assert ARABIC not in texts  # never drawn unshaped
    assert sum(len(c.get_offsets()) for c in figure.axes[0].collections) == 3


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
