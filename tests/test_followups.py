"""Follow-ups through the engine, on SQLite and PostgreSQL: planning, delivery, allowed
hours, waiting for a free moment, reminders, missed, restarts and concurrent workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from flows.l10n.i18n import Catalogs
from storage.db import Database
from storage.models import CheckIn, Escalation, FollowUp, WModelEvent
from tests.conftest import FakeClock
from tests.desk import CM, RETURNEE, Desk

# Senegal (Africa/Dakar, UTC+0): check-ins at 10:00, messages allowed 09:00-20:00.


async def followups(desk: Desk, **where: Any) -> list[FollowUp]:
    async with desk.db.sessions() as s:
        stmt = select(FollowUp).order_by(FollowUp.due_at, FollowUp.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(FollowUp, key) == value)
        return list((await s.scalars(stmt)).all())


async def office(database: Database, catalogs: Catalogs, clock: FakeClock) -> Desk:
    desk = Desk(database, catalogs, clock)
    await desk.onboard()  # returned 2026-03-14, standard profile, both consents
    return desk


async def first_checkin_due(desk: Desk) -> FollowUp:
    return (await followups(desk, kind="checkin", status="scheduled"))[0]


async def test_onboarding_plans_future_followups(database: Database, catalogs: Catalogs,
                                                 clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    rows = await followups(desk)
    assert rows and all(r.due_at > clock() for r in rows)
    assert {r.kind for r in rows} >= {"checkin", "survey", "final"}  # midterm has passed
    assert all(r.due_at.hour == 10 for r in rows)  # 10:00 in Dakar (UTC+0)
    # Withdrawing the follow-up consent cancels them all.
    await desk.say(RETURNEE, "/privacy")
    await desk.press(RETURNEE, "consents")
    await desk.press(RETURNEE, "no")
    await desk.press(RETURNEE, "yes")
    assert await followups(desk, status="scheduled") == []


async def test_refusing_follow_up_plans_nothing(database: Database, catalogs: Catalogs,
                                                clock: FakeClock) -> None:
    desk = Desk(database, catalogs, clock)
    await desk.say(RETURNEE, "/start")
    for payload in ("lang:en", "next", "no", "no"):
        await desk.press(RETURNEE, payload)
    assert await followups(desk) == []


async def test_a_due_checkin_is_delivered_and_answered(database: Database, catalogs: Catalogs,
                                                       clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    due = await first_checkin_due(desk)
    clock.now = due.due_at + timedelta(minutes=1)
    assert await desk.engine.run_followups() >= 1
    await desk.sender.drain()
    [opening] = desk.new_for(RETURNEE)
    assert opening["text"].startswith("Hello! It is time for your check-in.")
    assert [b["data"] for b in opening["buttons"]] == ["start", "later"]
    [sent] = await followups(desk, id=due.id)
    assert sent.status == "sent" and sent.next_reminder_at == clock() + timedelta(hours=24)
    await desk.press(RETURNEE, "start")
    [needs] = await desk.press(RETURNEE, "mood:4")
    assert needs["text"].startswith("Has anything good or hard happened")
    [offer] = await desk.say(RETURNEE, "Found a small job at the market")
    assert "ups and downs" in offer["text"]
    await desk.press(RETURNEE, "up")
    [toggled] = await desk.press(RETURNEE, "need:work")
    assert "✓ Work" in [b["label"] for b in toggled["buttons"]]
    await desk.press(RETURNEE, "need:documents")
    await desk.press(RETURNEE, "need:documents")  # chosen, then unchosen
    await desk.press(RETURNEE, "done")
    [thanks] = await desk.press(RETURNEE, "no")
    assert "Thank you for checking in." in thanks["text"]
    assert "Your next check-in is on" in thanks["text"]
    assert thanks["text"].endswith("What would you like to do?")
    async with desk.db.sessions() as s:
        record = await s.scalar(select(CheckIn))
    assert record is not None
    assert (record.mood, record.events, record.needs) == (4, "Found a small job at the market",
                                                          ["work"])
    [answered] = await followups(desk, id=due.id)
    assert answered.status == "answered"
    async with desk.db.sessions() as s:
        point = await s.scalar(select(WModelEvent))
    assert point is not None
    assert (point.kind, point.note, point.source) == ("up", "Found a small job at the market",
                                                      "checkin")
    assert point.months_since_return is not None and point.months_since_return > 8


async def test_quiet_hours_move_a_checkin_to_the_morning(database: Database,
                                                         catalogs: Catalogs,
                                                         clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    due = await first_checkin_due(desk)
    clock.now = due.due_at.replace(hour=2) + timedelta(days=1)  # 02:00 in Dakar
    await desk.engine.run_followups()
    await desk.sender.drain()
    assert desk.new_for(RETURNEE) == []
    [moved] = await followups(desk, id=due.id)
    assert moved.status == "scheduled" and moved.due_at == clock.now.replace(hour=9)


async def test_a_checkin_waits_while_the_person_is_busy(database: Database,
                                                        catalogs: Catalogs,
                                                        clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    due = await first_checkin_due(desk)
    clock.now = due.due_at - timedelta(minutes=5)
    await desk.say(RETURNEE, "/privacy")  # in the middle of something
    clock.now = due.due_at + timedelta(minutes=1)
    await desk.engine.run_followups()
    await desk.sender.drain()
    assert desk.new_for(RETURNEE) == []
    [waiting] = await followups(desk, id=due.id)
    assert waiting.status == "scheduled" and waiting.due_at > clock()
    await desk.say(RETURNEE, "/menu")
    clock.advance(minutes=20)
    await desk.engine.run_followups()
    await desk.sender.drain()
    assert desk.new_for(RETURNEE)[0]["text"].startswith("Hello! It is time for your check-in.")


async def test_reminders_then_missed_then_lost_contact(database: Database, catalogs: Catalogs,
                                                       clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    await desk.join(CM, "case_manager", "SN")
    await desk.say(CM, "/profile " + (await participant_pseudonym(desk)) + " vulnerable")
    checkins = await followups(desk, kind="checkin", status="scheduled")
    for due in checkins[:2]:
        clock.now = due.due_at + timedelta(minutes=1)
        await desk.engine.run_followups()
        for hours in (24, 72, 96):
            clock.now = due.due_at + timedelta(hours=hours, minutes=2)
            await desk.engine.run_followups()
        await desk.sender.drain()
        texts = [m["text"] for m in desk.new_for(RETURNEE)]
        assert sum(t.startswith("A gentle reminder") for t in texts) == 2, texts
        [missed] = await followups(desk, id=due.id)
        assert missed.status == "missed"
    [lost] = [e for e in await desk.escalations() if e.category == "lost_contact"]
    assert (lost.tier, lost.source) == (3, "lost_contact")
    assert any("lost contact" in m["text"] for m in desk.new_for(CM))


async def participant_pseudonym(desk: Desk) -> str:
    from storage.models import Participant

    async with desk.db.sessions() as s:
        value = await s.scalar(select(Participant.pseudonym))
    assert value is not None
    return value


async def test_remind_me_tomorrow(database: Database, catalogs: Catalogs,
                                  clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    due = await first_checkin_due(desk)
    clock.now = due.due_at + timedelta(minutes=1)
    await desk.engine.run_followups()
    await desk.sender.drain()
    [reply] = await desk.press(RETURNEE, "later")
    assert reply["text"].startswith("Of course. I will ask again tomorrow.")
    [later] = await followups(desk, id=due.id)
    assert later.status == "scheduled" and later.due_at == clock() + timedelta(hours=24)


async def test_paused_person_gets_no_checkin(database: Database, catalogs: Catalogs,
                                             clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    await desk.say(RETURNEE, "/stop")
    await desk.press(RETURNEE, "yes")
    due = await first_checkin_due(desk)
    clock.now = due.due_at + timedelta(minutes=1)
    await desk.engine.run_followups()
    await desk.sender.drain()
    assert desk.new_for(RETURNEE) == []
    [skipped] = await followups(desk, id=due.id)
    assert skipped.status == "skipped"


async def test_two_very_low_moods_in_a_row_raise_tier_2(database: Database,
                                                        catalogs: Catalogs,
                                                        clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    for _ in range(2):
        await desk.say(RETURNEE, "/checkin")
        [gentle] = await desk.press(RETURNEE, "mood:1")
        assert "Would you like a person" in gentle["text"]
        await desk.press(RETURNEE, "continue")
        await desk.press(RETURNEE, "none")
        await desk.press(RETURNEE, "done")
        await desk.press(RETURNEE, "no")
    [escalation] = await desk.escalations()
    assert (escalation.tier, escalation.category, escalation.source) == (2, "low_mood",
                                                                        "checkin")


async def test_a_restarted_worker_loses_nothing(database: Database, catalogs: Catalogs,
                                                clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    due = await first_checkin_due(desk)
    clock.now = due.due_at + timedelta(minutes=1)
    desk.engine = desk.new_engine()  # as after a restart: only the database remembers
    assert await desk.engine.run_followups() >= 1
    await desk.sender.drain()
    assert desk.new_for(RETURNEE)[0]["text"].startswith("Hello! It is time for your check-in.")


async def test_two_workers_at_once_deliver_each_followup_once(database: Database,
                                                              catalogs: Catalogs,
                                                              clock: FakeClock) -> None:
    desk = Desk(database, catalogs, clock)
    people = [f"p{i}" for i in range(12)]
    for chat in people:
        await desk.onboard(chat)
    clock.now = (await first_checkin_due(desk)).due_at + timedelta(minutes=1)
    one, two = desk.new_engine(), desk.new_engine()
    await asyncio.gather(one.run_followups(chunk=3), two.run_followups(chunk=3))
    await desk.sender.drain()
    for chat in people:
        openings = [m for m in desk.new_for(chat) if "time for your check-in" in m["text"]]
        assert len(openings) == 1, chat
    async with desk.db.sessions() as s:
        sent = await s.scalar(select(func.count()).select_from(FollowUp).where(
            FollowUp.status == "sent"))
    assert sent == len(people)


async def test_no_escalation_without_reason(database: Database, catalogs: Catalogs,
                                            clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    assert await desk.count(Escalation) == 0
    assert clock() == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def test_survey_and_w_model_rounds_invite_the_person_too(
        database: Database, catalogs: Catalogs, clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    await desk.join(CM, "case_manager", "SN")
    [checkin, *_] = await followups(desk, kind="checkin", status="scheduled")
    [survey, *_] = await followups(desk, kind="survey", status="scheduled")
    # Rounds on days without a check-in (the W model of a March return is past: add one).
    async with desk.db.sessions() as s, s.begin():
        row = await s.get(FollowUp, survey.id)
        assert row is not None
        row.due_at = checkin.due_at + timedelta(days=5)
        s.add(FollowUp(**{c.name: getattr(row, c.name) for c in FollowUp.__table__.columns
                          if c.name not in ("id", "kind", "due_at")},
                       kind="wmodel", due_at=checkin.due_at + timedelta(days=8)))
    [survey] = await followups(desk, id=survey.id)
    [wmodel] = await followups(desk, kind="wmodel", status="scheduled")
    clock.now = checkin.due_at + timedelta(minutes=1)
    await desk.engine.run_followups()
    for answer in ("start", "mood:4", "none", "done", "no"):  # the check-in, answered
        await desk.press(RETURNEE, answer)
    desk.new_for(RETURNEE)
    for due, command in ((survey, "/survey"), (wmodel, "/wmodel")):
        clock.now = due.due_at.replace(hour=2)  # 02:00 UTC: night in Senegal
        await desk.engine.run_followups()
        await desk.sender.drain()
        desk.new_for(CM)
        assert not any(command in m["text"] for m in desk.new_for(RETURNEE))  # not at night
        [waiting] = await followups(desk, id=due.id)
        assert waiting.status == "scheduled" and waiting.due_at > clock()
        clock.now = waiting.due_at + timedelta(minutes=1)
        await desk.engine.run_followups()
        await desk.sender.drain()
        [invitation] = [m for m in desk.new_for(RETURNEE) if command in m["text"]]
        assert invitation["buttons"] == []
        assert any("Follow-up due" in m["text"] for m in desk.new_for(CM))
        [done] = await followups(desk, id=due.id)
        assert done.status == "notified"


async def test_an_invitation_on_a_check_in_day_waits_a_day(
        database: Database, catalogs: Catalogs, clock: FakeClock) -> None:
    desk = await office(database, catalogs, clock)
    [checkin, *_] = await followups(desk, kind="checkin", status="scheduled")
    [survey, *_] = await followups(desk, kind="survey", status="scheduled")
    async with desk.db.sessions() as s, s.begin():
        row = await s.get(FollowUp, survey.id)
        assert row is not None
        row.due_at = checkin.due_at
    clock.now = checkin.due_at + timedelta(minutes=1)
    await desk.engine.run_followups()
    await desk.sender.drain()
    texts = [m["text"] for m in desk.new_for(RETURNEE)]
    assert any(t.startswith("Hello! It is time for your check-in.") for t in texts)
    assert not any("/survey" in t for t in texts)  # one topic at a time
    [waiting] = await followups(desk, id=survey.id)
    assert waiting.status == "scheduled"
    assert waiting.due_at == clock() + timedelta(days=1)
