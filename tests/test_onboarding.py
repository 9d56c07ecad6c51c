"""Every onboarding path, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from storage.models import Consent, Escalation, Participant
from tests.conftest import Harness, labels, payloads


async def participant(bot: Harness) -> Participant:
    async with bot.sessions() as session:
        row = await session.scalar(select(Participant).where(Participant.chat_id == bot.chat_id))
        assert row is not None
        return row


async def consents(bot: Harness) -> list[tuple[str, bool, str]]:
    async with bot.sessions() as session:
        rows = (await session.scalars(select(Consent).order_by(Consent.id))).all()
        return [(c.purpose, c.granted, c.version) for c in rows]


async def test_start_asks_language_with_autonyms(bot: Harness) -> None:
    reply = await bot.say("/start")
    assert "Which language" in reply["text"]
    assert "English" in labels(reply)
    assert "Français" in labels(reply)
    assert "lang:fr" in payloads(reply)


async def test_locale_hint_sets_first_screen_language(bot: Harness) -> None:
    reply = await bot.say("/start", locale_hint="fr-FR")
    assert reply["text"].startswith("Bonjour")


async def test_full_onboarding_in_french(bot: Harness) -> None:
    await bot.say("/start")
    reply = await bot.press("lang:fr")
    assert "assistant automatique" in reply["text"]
    assert labels(reply) == ["Continuer", "En savoir plus"]
    reply = await bot.press("more")
    assert "je ne peux donc pas promettre" in reply["text"]
    assert payloads(reply) == ["next", "more"]  # the same question again
    reply = await bot.press("next")
    assert "messages de suivi" in reply["text"]
    reply = await bot.press("yes")
    assert "gestionnaire de cas" in reply["text"]
    reply = await bot.press("yes")
    assert "Dans quel pays" in reply["text"]
    reply = await bot.say("Sénégal")
    assert "Sénégal" in reply["text"]
    reply = await bot.press("yes")
    assert "14/10/2026" in reply["text"]  # French format, a day already past (Nov 2026)
    reply = await bot.say("14/03/2026")
    assert "14 mars 2026" in reply["text"]  # said back, to confirm
    assert payloads(reply) == ["pick:2026-03-14", "retype"]
    reply = await bot.press("pick:2026-03-14")
    assert "14 mars 2026" in reply["text"]
    assert "Que voulez-vous faire" in reply["text"]
    p = await participant(bot)
    assert (p.locale, p.country, p.returned, p.return_date) == ("fr", "SN", True,
                                                                 date(2026, 3, 14))
    assert p.onboarded_at is not None
    assert await consents(bot) == [("follow_up", True, "2026-11"),
                                   ("case_manager_sharing", True, "2026-11")]


async def test_not_returned_yet_with_planned_date(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:en")
    await bot.press("next")
    await bot.press("yes")
    await bot.press("no")
    await bot.say("Afghanistan")
    reply = await bot.press("no")
    assert "plan to return" in reply["text"]
    reply = await bot.say("2027-01-20")
    assert "20 January 2027" in reply["text"]  # English outside the US: day first
    await bot.press("pick:2027-01-20")
    p = await participant(bot)
    assert (p.country, p.returned, p.return_date) == ("AF", False, date(2027, 1, 20))
    assert await consents(bot) == [("follow_up", True, "2026-11"),
                                   ("case_manager_sharing", False, "2026-11")]


async def test_planned_date_unknown_and_today_buttons(bot: Harness) -> None:
    await bot.until_country("en")
    await bot.say("Morocco")
    await bot.press("no")
    reply = await bot.press("unknown")
    assert "What would you like to do?" in reply["text"]
    p = await participant(bot)
    assert (p.country, p.returned, p.return_date) == ("MA", False, None)


async def test_arrived_today(bot: Harness) -> None:
    await bot.until_country("en")
    await bot.say("NG")
    await bot.press("yes")
    said = await bot.press("today")
    assert "You arrived on 25 November 2026" in said["text"]  # said back, as every date
    p = await participant(bot)
    assert (p.country, p.returned, p.return_date) == ("NG", True, bot.clock.now.date())


async def test_refusing_follow_up_is_information_only_and_stores_nothing_else(
    bot: Harness,
) -> None:
    await bot.say("/start")
    await bot.press("lang:en")
    await bot.press("next")
    reply = await bot.press("no")
    assert "share your answers" in reply["text"]
    reply = await bot.press("no")
    assert "I will not send you follow-up messages" in reply["text"]
    assert "/help" in reply["text"]
    assert "What would you like to do?" in reply["text"]  # straight to the menu
    p = await participant(bot)
    assert (p.country, p.returned, p.return_date) == (None, None, None)
    assert p.onboarded_at is not None
    assert await consents(bot) == [("follow_up", False, "2026-11"),
                                   ("case_manager_sharing", False, "2026-11")]


async def test_withdrawing_follow_up_later_erases_the_return_details(bot: Harness) -> None:
    await bot.onboard()
    await bot.say("/privacy")
    reply = await bot.press("consents")
    assert "follow-up messages" in reply["text"]
    await bot.press("no")
    reply = await bot.press("yes")
    assert "I will not send you follow-up messages" in reply["text"]
    p = await participant(bot)
    assert (p.country, p.return_date) == (None, None)
    assert p.consent_state == {"follow_up": False, "case_manager_sharing": True}


async def test_tell_me_more_on_each_consent(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:en")
    await bot.press("next")
    reply = await bot.press("more")
    assert "every two weeks" in reply["text"]
    assert reply["text"].endswith("You can stop them at any time.")
    await bot.press("yes")
    reply = await bot.press("more")
    assert "never share them with the police" in reply["text"]
    assert payloads(reply) == ["yes", "no", "more"]


async def test_typing_a_number_or_a_label_answers(bot: Harness) -> None:
    languages = await bot.say("/start")
    french = payloads(languages).index("lang:fr") + 1
    reply = await bot.say(str(french))  # the number shown beside "Français"
    assert "assistant automatique" in reply["text"]
    reply = await bot.say("continuer")  # the label, in any case
    assert "messages de suivi" in reply["text"]
    reply = await bot.say("Yes")  # the English label works too
    assert "gestionnaire de cas" in reply["text"]


async def test_free_text_where_a_choice_is_expected(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:en")
    reply = await bot.say("what is this?")
    assert reply["text"].startswith("Please choose one of the answers below.")
    assert "automated assistant" in reply["text"]
    assert payloads(reply) == ["next", "more"]


async def test_unknown_country_asks_again(bot: Harness) -> None:
    await bot.until_country("en")
    reply = await bot.say("Atlantis")
    assert reply["text"].startswith("I do not know that country")
    assert reply["text"].endswith("Please write its name.")


async def test_bad_dates_explained_and_asked_again(bot: Harness) -> None:
    await bot.until_country("en")
    await bot.say("Senegal")
    await bot.press("yes")
    reply = await bot.say("last spring")
    assert reply["text"].startswith("I could not read that date")
    assert "On what date did you arrive?" in reply["text"]
    reply = await bot.say("31/02/2026")
    assert reply["text"].startswith("That date does not exist")
    reply = await bot.say("2027-05-01")
    assert reply["text"].startswith("That date is in the future")
    reply = await bot.say("1950-01-01")
    assert reply["text"].startswith("That date is too long ago")
    p = await participant(bot)
    assert p.return_date is None and p.onboarded_at is None


async def test_planned_date_in_the_past_refused(bot: Harness) -> None:
    await bot.until_country("en")
    await bot.say("Senegal")
    await bot.press("no")
    reply = await bot.say("01/01/2020")
    assert reply["text"].startswith("That date has already passed")


async def test_french_date_errors_are_french(bot: Harness) -> None:
    await bot.until_country("fr")
    await bot.say("Maroc")
    await bot.press("yes")
    reply = await bot.say("30/02/2026")
    assert reply["text"].startswith("Cette date n'existe pas")


async def test_start_again_after_onboarding_lands_at_menu(bot: Harness) -> None:
    await bot.onboard()
    bot.restart()
    reply = await bot.say("/start")
    assert reply["text"] == "What would you like to do?"


async def test_no_escalation_or_profile_before_consent(bot: Harness) -> None:
    await bot.say("/start")
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Escalation)) == 0
        assert await session.scalar(select(func.count()).select_from(Consent)) == 0
