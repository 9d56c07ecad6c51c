"""The W model in chat: adding ups and downs with their follow-up questions, hopes and
services (providers become directory suggestions), listing, changing, deleting, the chart;
and the analysis exports."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.charts import wmodel_figure
from flows.conversations.wmodel_questions import split_providers
from flows.research.exports import (
    PROVIDER_COLUMNS,
    RSS_COLUMNS,
    WMODEL_COLUMNS,
    programme_chart,
    provider_rows,
    rss_rows,
    wmodel_rows,
)
from flows.research.scoring import Weights
from storage import research
from storage.models import OutboxMessage, ProviderSuggestion, WModelEvent, WModelReflection
from tests.conftest import Harness, payloads
from tests.test_cli import homecoming
from tests.test_survey import EXAMPLE


async def points(bot: Harness) -> list[WModelEvent]:
    async with bot.sessions() as s:
        return list(await s.scalars(select(WModelEvent).order_by(WModelEvent.id)))


async def add_hard_moment(bot: Harness) -> dict[str, Any]:
    home = await bot.press("wmodel")
    assert "Points so far: 0" in home["text"]
    await bot.press("add:down")
    when = await bot.say("Lost my job at the market")
    # Returned 14 March 2026, today 25 November 2026: the months since return, newest first
    assert when["buttons"][0]["label"] == "November 2026" and payloads(when)[0] == "when:8"
    assert payloads(when)[8] == "when:0"  # March 2026
    await bot.press("when:2")
    await bot.press("dim:economic")
    overcome = await bot.press("strength:4")
    assert "get through it" in overcome["text"]
    should = await bot.press("overcome:no")
    assert "Who should have helped you?" in should["text"]
    await bot.say("The employment office")
    return await bot.press("skip")  # what could have gone better


async def test_a_hard_moment_with_its_follow_up_questions(bot: Harness) -> None:
    await bot.onboard()
    home = await add_hard_moment(bot)
    assert "Saved" in home["text"] and "Points so far: 1" in home["text"]
    [point] = await points(bot)
    assert (point.kind, point.note, point.months_since_return, point.dimension,
            point.intensity, point.source) == ("down", "Lost my job at the market", 2,
                                               "economic", 4, "wmodel")
    assert json.loads(point.details or "{}") == {"overcome": "no",
                                                 "should_have_helped": "The employment office"}


async def test_a_good_moment_with_typed_months(bot: Harness) -> None:
    await bot.onboard()
    await bot.press("wmodel")
    await bot.press("add:up")
    await bot.say("Opened a small shop")
    dimension = await bot.say("5")  # a number of months, not the fifth button
    assert "Which part of life" in dimension["text"]
    await bot.press("dim:social")
    led = await bot.press("strength:5")
    assert "What led to this good moment?" in led["text"]
    await bot.say("A loan from my cousin")
    await bot.say("My cousin and the reintegration team")
    [point] = await points(bot)
    assert point.kind == "up" and point.months_since_return == 5 and point.intensity == 5
    assert json.loads(point.details or "{}") == {
        "led_to": "A loan from my cousin", "helped": "My cousin and the reintegration team"}


async def test_nonsense_months_are_refused_kindly(bot: Harness) -> None:
    await bot.onboard()
    await bot.press("wmodel")
    await bot.press("add:up")
    await bot.say("Found a room")
    reply = await bot.say("many")
    assert "type a number of months" in reply["text"]
    assert await points(bot) == []


async def test_list_change_and_delete_own_points(bot: Harness) -> None:
    await bot.onboard()
    await add_hard_moment(bot)
    listing = await bot.press("list")
    assert "1. ↓ Lost my job at the market (2 months after return; Work and money; " \
           "strength 4/5)" in listing["text"]
    pick = await bot.press("edit")
    [point] = await points(bot)
    await bot.press(f"point:{point.id}")
    await bot.press("field:strength")
    listing = await bot.press("strength:2")
    assert "Changed." in listing["text"] and "strength 2/5" in listing["text"]
    await bot.press("edit")
    await bot.press(f"point:{point.id}")
    await bot.press("field:note")
    listing = await bot.say("Lost my job")
    assert "↓ Lost my job (" in listing["text"]
    await bot.press("delete")
    confirm = await bot.press(f"point:{point.id}")
    assert "Delete this point? “Lost my job”" in confirm["text"]
    listing = await bot.press("yes")
    assert "Deleted." in listing["text"] and await points(bot) == []
    assert pick["buttons"][0]["label"] == "1"


async def test_a_point_that_is_not_theirs_cannot_be_changed(bot: Harness) -> None:
    await bot.onboard()
    await add_hard_moment(bot)
    [point] = await points(bot)
    other = point.participant_id + 1000
    changed = await bot.db.run(research.update_point, other, point.id, {"intensity": 1},
                               bot.clock())
    deleted = await bot.db.run(research.delete_point, other, point.id)
    assert not changed and not deleted
    assert (await points(bot))[0].intensity == 4
    await bot.press("list")
    await bot.press("edit")
    refused = await bot.press("point:999999")  # not among the buttons shown
    assert "earlier question" in refused["text"]


async def test_hopes_services_and_providers_for_the_directory(bot: Harness) -> None:
    await bot.onboard()
    await bot.press("wmodel")
    await bot.press("hopes")
    await bot.say("Grow the shop and bring my brother in")
    await bot.say("Small business training, micro-credit")
    home = await bot.say("Caritas; the IOM office, Mr Diallo at the market")
    assert "case manager can look at this" in home["text"]
    async with bot.sessions() as s:
        [reflection] = list(await s.scalars(select(WModelReflection)))
        providers = list(await s.scalars(select(ProviderSuggestion)))
    assert reflection.hopes == "Grow the shop and bring my brother in"
    assert [p.provider for p in providers] == ["Caritas", "the IOM office",
                                               "Mr Diallo at the market"]
    assert {p.country for p in providers} == {"SN"}
    rows = await bot.db.run(provider_rows, "SN", bot.clock())
    assert list(rows[0]) == PROVIDER_COLUMNS and rows[0]["provider"] == "Caritas"
    assert rows[0]["services"] == "Small business training, micro-credit"
    assert await bot.db.run(provider_rows, "AF", bot.clock()) == []
    assert split_providers("A\nB، C ፣ D") == ("A", "B", "C", "D")


async def test_the_person_gets_their_chart(bot: Harness) -> None:
    await bot.onboard()
    await add_hard_moment(bot)
    await bot.press("chart")
    async with bot.sessions() as s:
        chart = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "chart"))
        text = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "message")
                              .order_by(OutboxMessage.id.desc()))
    assert chart is not None and text is not None and chart.id > text.id  # words first
    assert "Here is your chart" in text.payload["text"]
    assert chart.payload["title"] == "Your ups and downs since return"
    assert chart.payload["legend"]["economic"] == "Work and money"
    figure = wmodel_figure(chart.payload)
    assert sum(len(c.get_offsets()) for c in figure.axes[0].collections) == 1


# Exports ------------------------------------------------------------------------------

async def test_export_rows_carry_the_analysis_variables(bot: Harness) -> None:
    await bot.onboard()
    await add_hard_moment(bot)
    person = (await points(bot))[0].participant_id
    weights = Weights.load()
    scores = weights.score(EXAMPLE, "phone")
    await bot.db.run(research.complete, person, EXAMPLE, scores.as_dict(), "phone",
                     bot.clock())
    rss = await bot.db.run(rss_rows, weights, "SN", None, bot.clock())
    [row] = rss
    assert list(row) == RSS_COLUMNS
    assert row["country_of_origin"] == "SN" and row["return_date"] == "2026-03-14"
    assert row["vulnerability"] == "standard" and row["sex"] is None
    assert row["mode"] == "phone" and row["weights_version"] == "provisional-2026.1"
    assert row["provisional"] is True and row["item_8"] == "land|animals"
    assert row["item_21"] == 0.5 and row["item_19a"] == "expensive"
    assert await bot.db.run(rss_rows, weights, "AF", None, bot.clock()) == []
    [point] = await bot.db.run(wmodel_rows, None, None, bot.clock())
    assert list(point) == WMODEL_COLUMNS
    assert point["note"] == "Lost my job at the market" and point["overcome"] == "no"
    chart = await bot.db.run(programme_chart, bot.catalogs, "en", "SN", None)
    assert [len(p["points"]) for p in chart["people"]] == [1]


def test_export_commands_write_csv_and_json(tmp_path: Path) -> None:
    db = tmp_path / "export.db"
    url = ["--db", str(db)]
    chat = homecoming("chat", *url, stdin="/quit\n", cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr
    env_db = f"sqlite+aiosqlite:///{db}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env["HOMECOMING_DATABASE_URL"] = env_db

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)

    rss = run("export", "rss", "--format", "csv", "--country", "SN")
    assert rss.returncode == 0, rss.stderr
    assert next(csv.reader(io.StringIO(rss.stdout))) == RSS_COLUMNS
    wmodel = run("export", "wmodel", "--format", "json", "--since", "2026-01-01")
    assert wmodel.returncode == 0 and json.loads(wmodel.stdout) == []
    bad = run("export", "rss", "--format", "xml")
    assert bad.returncode == 2 and "--format must be csv or json" in bad.stderr
    bad = run("export", "wmodel", "--since", "yesterday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    providers = run("export", "providers", "--country", "SN")
    assert providers.returncode == 0 and providers.stdout.startswith("suggested_at,country")
    chart = run("export", "wmodel-chart", "--country", "SN", "--out", "sn.png")
    assert chart.returncode == 0, chart.stderr
    assert (tmp_path / "sn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = run("export", "wmodel", "--out", "points.csv")
    assert saved.returncode == 0 and "0 rows written to points.csv" in saved.stderr
    for name in ("sn.png", "points.csv"):  # people's words: readable by the owner only
        assert (tmp_path / name).stat().st_mode & 0o077 == 0


async def test_deleting_my_data_takes_the_w_model_and_surveys_with_it(bot: Harness) -> None:
    from storage.models import Survey

    await bot.onboard()
    await add_hard_moment(bot)
    await bot.press("hopes")
    await bot.say("A shop")
    await bot.press("skip")
    await bot.say("Caritas")
    await bot.say("/survey")
    await bot.press("start")
    await bot.press("a:satisfied")
    await bot.say("/privacy")
    await bot.press("delete")
    await bot.press("yes")
    async with bot.sessions() as s:
        for model in (WModelEvent, WModelReflection, ProviderSuggestion, Survey):
            assert list(await s.scalars(select(model))) == [], model.__name__


async def test_case_managers_record_analysis_variables_for_the_exports(desk: Any) -> None:
    from datetime import date

    from flows.casework.staff import parse_profile
    from storage.models import Participant
    from tests.desk import CM2

    await desk.onboard()  # returned 2026-03-14
    async with desk.db.sessions() as s:
        pseudonym = await s.scalar(select(Participant.pseudonym))
    [reply] = await desk.say(CM2, f"/profile {pseudonym} sex=female born=1994 host=LY "
                                  "left=2019-05")
    assert reply["text"] == (f"Recorded for {pseudonym}: birth_year, departed_on, "
                             "host_country, sex.")
    [refused] = await desk.say(CM2, f"/profile {pseudonym} sex=unknown")
    assert refused["text"].startswith("Use /profile PERSON")
    async with desk.db.sessions() as s:
        person = await s.scalar(select(Participant))
    assert person is not None
    assert (person.sex, person.birth_year, person.host_country, person.departed_on) == (
        "female", 1994, "LY", date(2019, 5, 1))
    await desk.db.run(research.add_point, participant_id=person.id, kind="up", note="a job",
                      months_since_return=2, source="wmodel", now=desk.clock())
    [row] = await desk.db.run(wmodel_rows, None, None, desk.clock())
    assert (row["sex"], row["age_at_return"], row["host_country"],
            row["length_of_absence_months"]) == ("female", 32, "LY", 82)
    today = date(2026, 11, 25)
    assert parse_profile(["vulnerable", "born=2030"], today) is None  # not born yet
    assert parse_profile(["left=2027-01-01"], today) is None  # in the future
    assert parse_profile(["host=ZZ"], today) is None
    assert parse_profile(["trafficking"], today) == {"profile": "trafficking"}


async def test_my_data_counts_the_w_model_and_surveys(bot: Harness) -> None:
    await bot.onboard()
    await add_hard_moment(bot)
    await bot.say("/privacy")
    said = (await bot.press("show"))["text"]
    assert "This is what I keep about you" in said
    assert "Good and hard moments in your own words (W model): 1, on 25 November 2026" in said
    assert "Completed surveys" not in said  # none kept
