"""What a returnee meets, driven as a person would: dates read as they are meant and said
back, answers typed instead of pressed, the place kept, content that fits, the survey as the
handbook asks it. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from storage.models import FollowUp, Participant
from tests.conftest import Harness, labels, payloads
from tests.desk import Desk


async def participant(bot: Harness) -> Participant:
    async with bot.sessions() as session:
        row = await session.scalar(select(Participant).where(Participant.chat_id == bot.chat_id))
        assert row is not None
        return row


async def planned(bot: Harness) -> list[FollowUp]:
    async with bot.sessions() as session:
        return list((await session.scalars(
            select(FollowUp).where(FollowUp.status == "scheduled")
            .order_by(FollowUp.due_at))).all())


async def at_date(bot: Harness, lang: str, country: str) -> dict:  # type: ignore[type-arg]
    """Onboarded up to "on what date did you arrive?"."""
    await bot.until_country(lang)
    await bot.say(country)
    return await bot.press("yes")


# 1. Dates.

async def test_english_in_nigeria_reads_and_shows_day_first(bot: Harness) -> None:
    question = await at_date(bot, "en", "Nigeria")
    assert "14/10/2026" in question["text"]  # day first, and a day already past
    check = await bot.say("5/3/2026")
    assert "5 March 2026" in check["text"] and "Is that right?" in check["text"]
    await bot.press("pick:2026-03-05")
    assert (await participant(bot)).return_date == date(2026, 3, 5)


async def test_the_planned_date_example_is_in_the_future(bot: Harness) -> None:
    await bot.until_country("fr")
    await bot.say("Sénégal")
    question = await bot.press("no")
    assert "14/02/2027" in question["text"]  # three months on from November 2026


async def test_dates_in_words_in_four_languages(bot: Harness) -> None:
    for lang, country, typed, said in [
            ("en", "Ghana", "March 14, 2026", "14 March 2026"),
            ("fr", "Sénégal", "14 mars 2026", "14 mars 2026"),
            ("ar", "المغرب", "14 مارس 2026", "14 مارس 2026"),
            ("am", "ኢትዮጵያ", "መጋቢት 5 2018", "መጋቢት 5 ቀን 2018 ዓ.ም.")]:
        bot.chat_id = f"words-{lang}"
        await at_date(bot, lang, country)
        check = await bot.say(typed)
        assert said in check["text"], lang
        assert payloads(check) == ["pick:2026-03-14", "retype"]
        await bot.press("pick:2026-03-14")
        assert (await participant(bot)).return_date == date(2026, 3, 14)


async def test_amharic_digits_are_asked_both_ways_and_follow_ups_follow(bot: Harness) -> None:
    await at_date(bot, "am", "ኢትዮጵያ")
    check = await bot.say("5/7/2018")
    assert payloads(check) == ["pick:2026-03-14", "pick:2018-07-05", "retype"]
    ethiopian, gregorian = labels(check)[:2]
    assert ethiopian.startswith("መጋቢት 5 ቀን 2018 ዓ.ም.") and "2026" in ethiopian
    assert "2018" in gregorian and "2010 ዓ.ም." in gregorian  # each in both calendars
    await bot.say("1")  # the first reading, typed as its number
    p = await participant(bot)
    assert p.return_date == date(2026, 3, 14)
    assert all(f.due_at.year >= 2026 for f in await planned(bot))


async def test_a_date_said_back_can_be_typed_again(bot: Harness) -> None:
    await at_date(bot, "en", "Senegal")
    await bot.say("14/03/2026")
    again = await bot.press("retype")
    assert "On what date did you arrive?" in again["text"]
    check = await bot.say("15 March 2026")  # or simply typed at the check
    assert "15 March 2026" in check["text"]
    check = await bot.say("16/03/2026")
    assert "16 March 2026" in check["text"]
    await bot.press("pick:2026-03-16")
    assert (await participant(bot)).return_date == date(2026, 3, 16)


async def test_details_are_corrected_from_privacy_and_follow_ups_replanned(
        bot: Harness) -> None:
    await bot.onboard()  # returned 14 March 2026, Senegal
    before = [f.due_at for f in await planned(bot)]
    await bot.say("/privacy")
    choose = await bot.press("details")
    assert payloads(choose) == ["edit:country", "edit:date", "back"]
    await bot.press("edit:date")
    await bot.press("yes")  # already back
    await bot.say("1 September 2026")
    done = await bot.press("pick:2026-09-01")
    assert "planned again" in done["text"]
    after = [f.due_at for f in await planned(bot)]
    assert after and after != before and after[0].date() > date(2026, 11, 25)
    await bot.press("details")
    await bot.press("edit:country")
    done = await bot.say("Ghana")
    assert "I have changed it" in done["text"]
    p = await participant(bot)
    assert (p.country, p.return_date, p.returned) == ("GH", date(2026, 9, 1), True)


# 2. Buttons and typed answers.

async def test_typed_labels_pick_buttons_in_part_and_without_marks(bot: Harness) -> None:
    for lang, typed, low in [("en", "not good", False), ("en", "bad", True),
                             ("fr", "PAS BIEN", False), ("fr", "tres mal", True),
                             ("am", "በጣም መጥፎ", True), ("ar", "لست بخير", False)]:
        bot.chat_id = f"mood-{lang}-{typed}"
        await bot.onboard(lang)
        await bot.say("/checkin")
        after = await bot.say(typed)  # the label without its emoji, accents or case
        # A very low mood asks about a person first; "not good" goes on to what happened.
        expected = ["person", "continue"] if low else ["none"]
        assert payloads(after) == expected, (lang, typed)


async def test_arabic_skip_typed_without_short_vowels(bot: Harness) -> None:
    import json

    from storage.models import WModelEvent

    await bot.onboard("ar")
    await bot.press("wmodel")
    await bot.press("add:down")
    await bot.say("فقدت عملي")
    await bot.press("when:2")
    await bot.press("dim:economic")
    await bot.press("strength:3")
    await bot.press("overcome:no")
    await bot.say("تخطي")  # who should have helped: skipped as typed, "تخطَّ" on the button
    await bot.say("تخطى")  # what could have gone better: skipped too
    async with bot.sessions() as session:
        [point] = (await session.scalars(select(WModelEvent))).all()
    assert json.loads(point.details or "{}") == {"overcome": "no"}  # no words kept as answers


async def test_numbers_and_not_numbers(bot: Harness) -> None:
    await bot.onboard()
    menu = await bot.say("-1")
    assert "Please choose one of the answers below." in menu["text"]
    info = await bot.say("1")  # the first button: Information
    assert "info" not in payloads(info) and payloads(info) != payloads(menu)
    await bot.say("/menu")
    await bot.press("wmodel")
    await bot.press("add:up")
    await bot.say("Opened a shop")
    refused = await bot.say("-1")
    assert refused["text"].startswith("Please choose a month")
    dimension = await bot.say("4 months")  # said with its word
    assert "Which part of life" in dimension["text"]


async def test_a_ticked_item_is_unticked_by_its_plain_label(bot: Harness) -> None:
    await bot.onboard_abroad("fr")
    await bot.press("info")
    listed = await bot.press("checklist")
    first = listed["buttons"][0]["label"]
    ticked = await bot.say(first)
    assert ticked["buttons"][0]["label"].startswith("✓ ")
    unticked = await bot.say(first)  # the label as it was, without the tick
    assert unticked["buttons"][0]["label"] == first


def test_the_terminal_reads_a_shown_number_as_that_button() -> None:
    import asyncio
    import io

    from bot.terminal import TerminalTransport
    from flows.engine.events import EventKind

    transport = TerminalTransport(out=io.StringIO())
    buttons = [{"data": f"when:{n}", "label": f"month {n}"} for n in range(12, 0, -1)]
    asyncio.run(transport.send("c", "message", {"text": "When?", "buttons": buttons,
                                                "typed_numbers": True}))
    event = transport.event_for("c", "10", None)
    assert (event.kind, event.payload) == (EventKind.BUTTON, "when:3")  # [10] on screen
    assert transport.event_for("c", "14", None).kind is EventKind.TEXT  # months, typed
    assert transport.event_for("c", "4 months", None).kind is EventKind.TEXT


# 7. The survey as Annex 4 asks it.

ANNEX_DONT_KNOW = {3, 6, 11, 13, 15, 16, 17, 18, 20, 23, 24, 29, 30}
ANNEX_NO_DONT_WISH = {6, 10, 31, 32}


def test_dont_know_and_dont_wish_only_where_annex_4_lists_them() -> None:
    from flows.research.rss import ASKED, DONT_KNOW, ITEMS, REFUSED

    assert {n for n in ASKED if DONT_KNOW in ITEMS[n].codes} == ANNEX_DONT_KNOW
    assert {n for n in ASKED if REFUSED not in ITEMS[n].codes} == ANNEX_NO_DONT_WISH
    assert ITEMS[10].multiple and [c for c, _ in ITEMS[31].options] == ["wish", "need"]


async def to_item(bot: Harness, number: int, reply: dict, **choices: str) -> dict:  # type: ignore[type-arg]
    """Answer with the first option (or ``choices["q<n>"]``) until item ``number``."""
    import re

    while (current := int(re.search(r"Question (\d+) of 32", reply["text"])[1])) != number:
        payload = choices.get(f"q{current}") or next(
            p for p in payloads(reply) if p.startswith(("a:", "m:")))
        reply = await bot.press(payload)
        if payload.startswith("m:"):
            reply = await bot.press("done")
    return reply


async def test_the_survey_in_chat_follows_the_annex(bot: Harness) -> None:
    import json

    from storage.models import Escalation, Survey

    await bot.onboard()
    await bot.press("survey")
    first = await bot.press("start")
    assert first["text"].startswith("Question 1 of 32")
    assert "a:dont_know" not in payloads(first) and "a:refused" in payloads(first)
    explain = await bot.press("a:dissatisfied")  # → please explain
    assert payloads(explain) == ["skip", "pause"]
    second = await bot.say("Prices went up a lot")
    assert payloads(second)[0] == "a:very_often"  # item 2
    reply = await to_item(bot, 10, second, q9="a:yes")
    assert [p for p in payloads(reply) if p.startswith("m:")] == [
        "m:unemployed", "m:unhappy_work", "m:unhappy_conditions", "m:unhappy_salary", "m:other"]
    assert "a:refused" not in payloads(reply)  # not offered on item 10 in the annex
    await bot.press("m:unhappy_salary")
    await bot.press("m:other")
    explain = await bot.press("done")
    assert payloads(explain) == ["skip", "pause"]
    reply = await bot.press("skip")
    reply = await to_item(bot, 16, reply)
    assert "a:dont_know" in payloads(reply)  # item 16 has it in the annex
    reply = await to_item(bot, 31, reply, q30="a:no")
    assert payloads(reply) == ["a:wish", "a:need", "pause"]
    await bot.press("a:need")  # also when they wish to: the need is the primary reason
    async with bot.sessions() as session:
        [row] = (await session.scalars(select(Survey))).all()
        categories = [e.categories for e in (await session.scalars(select(Escalation))).all()]
    answers = json.loads(row.answers)
    assert answers["1"] == "dissatisfied"
    assert answers["1_explain"] == "Prices went up a lot"
    assert answers["10"] == ["unhappy_salary", "other"] and "10_explain" not in answers
    assert answers["31"] == "need"
    assert any("must_leave" in (c or "") for c in categories)


# 4. The person's place is kept.

async def test_a_restart_continues_where_the_person_was(bot: Harness) -> None:
    await bot.onboard("fr")
    await bot.press("wmodel")
    asked = await bot.press("add:down")
    bot.restart()
    again = await bot.say("/continue")  # what a restarted terminal chat sends
    assert again["text"] == asked["text"] and payloads(again) == ["cancel"]


async def test_global_commands_and_leaving_the_survey_return_to_the_question(
        bot: Harness) -> None:
    await bot.onboard()
    await bot.press("wmodel")
    await bot.press("add:up")
    when = await bot.say("Started work at the garage")  # the month picker
    for command in ("/help", "/resume"):
        back = await bot.say(command)
        assert back["text"].endswith(when["text"]), command
    await bot.say("/stop")
    back = await bot.say("/resume")  # instead of answering "pause all messages?"
    assert "Messages are on again." in back["text"] and back["text"].endswith(when["text"])
    await bot.say("/stop")
    back = await bot.press("no")
    assert back["text"].endswith(when["text"])
    await bot.say("/survey")
    await bot.press("start")
    await bot.press("a:satisfied")
    back = await bot.press("pause")
    assert back["text"].endswith(when["text"]) and payloads(back) == payloads(when)


def test_terminal_chats_keep_their_place_their_clock_and_their_own_messages(
        tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.test_cli import homecoming

    # past the check-in due in 30 days, to noon: a check-in due outside the allowed hours
    # (9–20 h) waits for the next morning, wherever the wall clock stands when this runs
    now = datetime.now(UTC)
    noon = (now + timedelta(days=31)).replace(hour=12, minute=0, second=0, microsecond=0)
    hours = int((noon - now).total_seconds() // 3600)
    db = tmp_path / "two.db"
    first = homecoming("chat", "--db", str(db), "--user", "ama", stdin="\n".join([
        "English", "1", "1", "1", "Ghana", "1", "14/03/2026", "1", f"/advance {hours}h",
        "/quit"])
        + "\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    import re

    arrives = re.search(r"\(the next check-in arrives on (.+) at (\d{1,2}):(\d\d)", first.stdout)
    assert arrives is not None and 9 <= int(arrives[2]) < 20  # in the allowed hours
    assert (tmp_path / "two.db.demo-clock").exists()
    other = homecoming("chat", "--db", str(db), "--user", "kofi",
                       stdin="Français\n/quit\n", cwd=tmp_path)
    assert "Which language" in other.stdout and "Ghana" not in other.stdout
    assert "What would you like to do?" not in other.stdout  # not ama's menu
    again = homecoming("chat", "--db", str(db), "--user", "ama", stdin="/wmodel\n1\n/quit\n",
                       cwd=tmp_path)
    assert "Which language" not in again.stdout and "Bonjour" not in again.stdout
    last_question = first.stdout.rsplit("\nbot: ", 1)[1].split("\n(")[0]
    assert "time for your check-in" in last_question  # the demo clock brought one
    assert again.stdout.split("\nbot: ", 1)[1].startswith(last_question)  # where ama was
    assert "good moment" in again.stdout
    later = homecoming("chat", "--db", str(db), "--user", "ama", stdin="/advance 1h\n/quit\n",
                       cwd=tmp_path)
    shown = (now + timedelta(hours=hours + 1)).strftime("%Y-%m-%d")
    assert f"it is now {shown}" in later.stdout  # the demo clock survived the restarts


# 3. Nothing is cut without a word.

async def test_a_long_note_is_kept_whole(bot: Harness) -> None:
    from storage.models import CheckIn, WModelEvent

    await bot.onboard()
    long_note = "We opened a small shop selling vegetables and bread. " * 60  # ~3200
    await bot.press("wmodel")
    await bot.press("add:up")
    await bot.say(long_note)
    await bot.press("when:2")
    await bot.press("dim:social")
    await bot.press("strength:3")
    await bot.say("A friend")
    await bot.say("My cousin")
    async with bot.sessions() as session:
        [point] = (await session.scalars(select(WModelEvent))).all()
    assert point.note == long_note.strip()  # kept whole, not 500 characters
    await bot.say("/checkin")
    await bot.press("mood:3")
    await bot.say(long_note)  # what happened
    await bot.press("no")  # not as a W-model point
    await bot.press("done")  # no needs
    told = await bot.say(long_note + long_note)  # longer than any Telegram message
    assert "I kept the first 4096 characters" in told["text"]
    async with bot.sessions() as session:
        [checkin] = (await session.scalars(select(CheckIn))).all()
    assert checkin.events == long_note.strip() and len(checkin.note or "") == 4096


async def test_this_was_useful_counts_once_per_page_view(bot: Harness) -> None:
    from sqlalchemy import func

    from storage.models import InfoFeedback

    await bot.onboard("fr")
    await bot.press("info")
    await bot.press("topic:health")
    await bot.press("useful:yes")
    again = await bot.press("useful:yes")
    assert "déjà" in again["text"] or "already" in again["text"]
    await bot.press("useful:no")
    await bot.press("topics")
    await bot.press("topic:health")  # a new view of the page
    await bot.press("useful:no")
    async with bot.sessions() as session:
        rows = (await session.execute(select(InfoFeedback.useful, func.count())
                                      .group_by(InfoFeedback.useful))).all()
    assert sorted(rows) == [(False, 1), (True, 1)]


# 5. Content fits where the person is.

async def test_home_or_abroad_gets_the_pages_that_fit(bot: Harness) -> None:
    await bot.onboard()  # already back
    topics = await bot.press("info")
    assert "checklist" not in payloads(topics)
    page = await bot.press("topic:documents")
    assert "Bring copies" not in page["text"] and "missing" in page["text"]
    bot.chat_id = "abroad"
    await bot.onboard_abroad()
    topics = await bot.press("info")
    assert "checklist" in payloads(topics)
    page = await bot.press("topic:documents")
    assert "Bring copies of your identity documents" in page["text"]


async def test_services_in_the_persons_language_with_eligibility_and_hours(
        bot: Harness) -> None:
    await bot.onboard("fr")
    await bot.press("info")
    page = await bot.press("topic:work")
    assert "Pour qui : personnes rentrées inscrites au programme" in page["text"]
    assert "Ouvert : lun.-ven. 09:00-17:00" in page["text"]
    await bot.press("topics")
    page = await bot.press("topic:legal")  # SN lists no legal service
    assert "Aucun service n'est encore indiqué" in page["text"]
    bot.chat_id = "en-sn"
    await bot.onboard("en")
    await bot.press("info")
    page = await bot.press("topic:work")
    assert "Who can go: returnees registered with the programme" in page["text"]


async def test_arabic_plurals_and_amharic_months(bot: Harness) -> None:
    from flows.l10n.i18n import plural

    render = bot.catalogs.render
    assert render("ar", plural("After {n} month", "After {n} months", 1)) == "بعد شهر واحد"
    assert render("ar", plural("After {n} month", "After {n} months", 2)) == "بعد شهرين"
    assert render("ar", plural("After {n} month", "After {n} months", 3)) == "بعد 3 أشهر"
    assert render("ar", plural("After {n} month", "After {n} months", 11)) == "بعد 11 شهرًا"
    assert render("ar", plural("After {n} month", "After {n} months", 100)) == "بعد 100 شهر"
    await bot.onboard("am")
    await bot.press("wmodel")
    await bot.press("add:up")
    when = await bot.say("ሱቅ ከፈትኩ")
    # Returned 14 March 2026 (5 Megabit 2018); today 25 November 2026 (16 Hidar 2019).
    assert labels(when)[0] == "ኅዳር 2019 (ኖቬምበር 2026)" and payloads(when)[0] == "when:8"
    assert labels(when)[8].startswith("መጋቢት 2018") and payloads(when)[8] == "when:0"


async def test_another_language_is_offered(bot: Harness) -> None:
    await bot.onboard()
    offer = await bot.say("مرحبا كيف حالك")
    assert "العربية" in offer["text"] and payloads(offer) == ["lang:ar", "keep"]
    menu = await bot.press("lang:ar")
    assert (await participant(bot)).locale == "ar"
    assert payloads(menu)[0] == "info"  # back at the menu, now in Arabic
    bot.chat_id = "fr-then-en"
    await bot.onboard("fr")
    offer = await bot.say("hello, how are you doing today")
    kept = await bot.press("keep")
    assert (await participant(bot)).locale == "fr" and payloads(kept)[0] == "info"


async def test_country_names_across_scripts_and_with_a_typo(bot: Harness) -> None:
    for lang, typed in [("en", "السنغال"), ("en", "senegl"), ("fa", "سنكال"),
                        ("fr", "Senegel"), ("ar", "سنگال")]:
        bot.chat_id = f"country-{lang}-{typed}"
        await bot.until_country(lang)
        await bot.say(typed)
        assert (await participant(bot)).country == "SN", (lang, typed)


# 6. Privacy screens say what is kept.

async def test_privacy_says_what_kinds_of_things_are_kept_with_dates(bot: Harness) -> None:
    await bot.staff_on_duty()
    await bot.onboard("fr")
    await bot.say("/checkin")
    await bot.press("mood:4")
    await bot.press("none")
    await bot.press("done")
    await bot.press("no")
    bot.clock.advance(days=3)
    await bot.say("Je me sens si triste et seul depuis mon retour")  # an alert, my words
    await bot.say("/privacy")
    shown = await bot.press("show")
    text = shown["text"]
    assert "Réponses aux suivis" in text and "le 25 novembre 2026" in text
    assert "Vos propres mots, cités dans des alertes à l'équipe : 1, le 28 novembre 2026" \
        in text
    assert "Vos réponses aux questions de consentement : 2" in text
    bot.chat_id = "en-privacy"
    await bot.onboard()
    await bot.say("/privacy")
    shown = await bot.press("show")
    assert "Your answers to the consent questions: 2, on 28 November 2026" in shown["text"]
    assert "Check-in answers" not in shown["text"]


async def test_change_my_choices_has_a_way_back(bot: Harness) -> None:
    await bot.onboard()
    await bot.say("/privacy")
    asked = await bot.press("consents")
    assert payloads(asked) == ["yes", "no", "more", "back"]
    back = await bot.press("back")
    assert "Nothing has changed." in back["text"] and "show" in payloads(back)
    await bot.press("consents")
    await bot.press("yes")
    done = await bot.press("no")  # no longer share with a case manager
    assert "I have changed it" in done["text"] and "show" in payloads(done)
    assert (await participant(bot)).consent_state["case_manager_sharing"] is False


async def test_the_unknown_command_reply_lists_what_can_be_used_now(bot: Harness) -> None:
    before = await bot.say("/foo")
    assert "/help, /language, /privacy" in before["text"] and "/survey" not in before["text"]
    await bot.onboard()
    after = await bot.say("/foo")
    assert "/menu, /help, /language, /privacy, /stop, /checkin, /wmodel, /survey" \
        in after["text"]
    await bot.say("/stop")
    await bot.press("yes")
    paused = await bot.say("/foo")
    assert "/resume" in paused["text"] and "/stop" not in paused["text"]


# 9. The CLI is quiet and clear.

def test_the_cli_is_quiet_takes_db_on_exports_and_shows_no_bool(tmp_path: Path) -> None:
    from tests.test_cli import homecoming

    upgraded = homecoming("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0 and "INFO" not in upgraded.stderr + upgraded.stdout
    assert "alembic" not in upgraded.stderr
    db = tmp_path / "mine.db"
    chat = homecoming("chat", "--db", str(db), stdin="\n".join([
        "English", "1", "1", "1", "Ghana", "1", "14/03/2026", "1", "/wmodel", "1",
        "Opened a small shop", "1", "1", "3", "A loan", "My cousin", "/quit"]) + "\n",
        cwd=tmp_path)
    assert chat.returncode == 0 and "INFO" not in chat.stderr
    exported = homecoming("export", "wmodel", "--db", str(db), "--format", "json",
                          cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "Opened a small shop" in exported.stdout and "INFO" not in exported.stderr
    for args in (["--help"], ["export", "rss", "--help"], ["chat", "--help"]):
        shown = homecoming(*args, cwd=tmp_path).stdout
        assert "<bool>" not in shown and "--help" in shown, args
    assert "--db" in homecoming("export", "rss", "--help", cwd=tmp_path).stdout


# 8. Schedules as the handbook asks.

async def test_trafficking_gets_more_contact_and_a_case_manager_extends_follow_up(
        desk: Desk) -> None:
    from tests.desk import CM2 as CM  # an English-speaking case manager of Senegal
    from tests.desk import RETURNEE
    from tests.test_followups import followups, participant_pseudonym

    # The person is onboarded: standard profile, returned 14 March 2026.
    standard = await followups(desk, kind="checkin", status="scheduled")
    who = await participant_pseudonym(desk)
    [told] = await desk.say(CM, f"/profile {who} trafficking")
    assert "trafficking schedule" in told["text"]
    checkins = await followups(desk, kind="checkin", status="scheduled")
    sessions = await followups(desk, kind="assessment", status="scheduled")
    assert len(checkins) > len(standard)  # never less contact than the standard profile
    assert len(sessions) >= 1  # the handbook's assessments, for the case manager
    [recorded] = await desk.say(CM, f"/profile {who} until=24m")
    assert "Recorded for" in recorded["text"]
    extended = await followups(desk, kind="checkin", status="scheduled")
    assert extended[-1].due_at.date() >= date(2028, 3, 1)  # month 24 after March 2026
    [final] = await followups(desk, kind="final", status="scheduled")
    assert final.due_at.date() >= date(2028, 4, 1)
    [refused] = await desk.say(CM, f"/profile {who} until=60m")
    assert "until=18m" in refused["text"]
    desk.new_for(RETURNEE)
