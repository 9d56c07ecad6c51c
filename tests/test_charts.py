"""The W chart: a real PNG, drawn at send time; /case queues it for the case manager."""

from __future__ import annotations

import struct

from sqlalchemy import select

from bot.charts import wmodel_png
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
