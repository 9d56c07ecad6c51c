"""Information: topics, pages with the country's services, feedback, a person on every page,
the pre-departure checklist, and a country's own wording before the generic one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from flows.engine.events import Msg
from flows.l10n.i18n import Catalogs
from storage.models import InfoFeedback, Participant
from tests.conftest import Harness, labels, payloads


async def test_topics_pages_services_and_feedback(bot: Harness) -> None:
    await bot.staff_on_duty()
    await bot.onboard()  # Senegal
    [menu_first] = payloads(await bot.say("/menu"))[:1]
    assert menu_first == "info"
    topics = await bot.press("info")
    assert "What would you like to know about?" in topics["text"]
    assert "topic:health" in payloads(topics)
    assert "checklist" not in payloads(topics)  # back home: nothing left to pack
    page = await bot.press("topic:health")
    assert page["text"].startswith("If you take medication")
    assert payloads(page)[0] == "next"
    page = await bot.press("next")
    assert "Where to go in Senegal (checked 2026-11-01)" in page["text"]
    assert "Centre de santé (exemple)" in page["text"]
    assert "next" not in payloads(page)
    thanks = await bot.press("useful:yes")
    assert thanks["text"].startswith("Thank you, that helps us improve")
    async with bot.sessions() as s:
        feedback = await s.scalar(select(InfoFeedback))
    assert feedback is not None and (feedback.topic, feedback.useful, feedback.country) == (
        "health", True, "SN")
    asked = await bot.press("person")
    assert "passed on your request" in asked["text"]
    await bot.press("topics")
    back = await bot.press("back")
    assert back["text"] == "What would you like to do?"


async def test_checklist_is_kept(bot: Harness) -> None:
    await bot.onboard_abroad()
    await bot.press("info")
    listing = await bot.press("checklist")
    assert "tick what is ready" in listing["text"]
    ticked = await bot.press("item:medicine")
    assert "✓ Medication and a medical certificate" in labels(ticked)
    await bot.press("done")
    bot.restart()
    await bot.say("/menu")
    await bot.press("info")
    again = await bot.press("checklist")
    assert "✓ Medication and a medical certificate" in labels(again)
    async with bot.sessions() as s:
        assert (await s.scalar(select(Participant.checklist))) == {"medicine": True}


async def test_country_wording_comes_first(bot: Harness) -> None:
    await bot.onboard("fr")
    await bot.press("info")
    page = await bot.press("topic:assistance")
    assert page["text"].startswith("Votre gestionnaire de cas du bureau de Dakar")  # SN override


def test_override_precedence_without_a_country(catalogs: Catalogs) -> None:
    msg = Msg("Your case manager will explain what assistance you can receive and when.")
    assert catalogs.render("fr", msg).startswith("Votre gestionnaire de cas vous expliquera")
    assert catalogs.render("fr", msg, {msg.msgid: "Texte du pays"}) == "Texte du pays"
    assert catalogs.render("en", msg, {"other": "x"}) == msg.msgid


@pytest.mark.parametrize(("lang", "country", "long_date"), [
    ("ar", "السنغال", "14 مارس 2026"), ("fa", "سنگال", "14 مارس 2026")])
async def test_right_to_left_stays_intact(bot: Harness, lang: str, country: str,
                                          long_date: str) -> None:
    from flows.l10n.dates import example_date

    await bot.say("/start")
    await bot.press(f"lang:{lang}")
    for payload in ("next", "yes", "yes"):
        await bot.press(payload)
    asked = await bot.say(country)  # the country in the person's language
    assert country in asked["text"]
    question = await bot.press("yes")
    example = example_date(lang, "SN", date(2026, 10, 14))  # last month's 14th (Nov 2026)
    assert example in question["text"]  # with any direction marks
    await bot.say(example_date(lang))  # typed as shown, marks and all
    done = await bot.press("pick:2026-03-14")
    assert long_date in done["text"]
    catalog_text = Catalogs().gettext(lang, "What would you like to do?")
    assert catalog_text != "What would you like to do?"
    assert done["text"].endswith(catalog_text)  # the text, byte for byte, no reordering
