"""An assigned case manager, through the engine: alerts and session notices reach them
first and the team at the re-alert; reassignment keeps the history; sessions recorded, and
monitoring planned again from the plan's actual date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.casefile_models import CaseAssignment, CaseSession
from storage.models import AuditEntry, FollowUp, Participant
from tests.desk import CM, CM2, OTHER_CM, RETURNEE, SUPERVISOR, Desk


async def pseudonym(desk: Desk, chat: str = RETURNEE) -> str:
    async with desk.db.sessions() as s:
        return str(await s.scalar(select(Participant.pseudonym)
                                  .where(Participant.chat_id == chat)))


async def assign_to_cm2(desk: Desk) -> str:
    person = await pseudonym(desk)
    [done] = await desk.say(CM2, f"/assign {person}")
    assert done["text"].startswith(f"{person} is now with S-")
    return person


async def test_an_alert_reaches_their_case_manager_first_and_the_team_at_the_realert(
        desk: Desk) -> None:
    await assign_to_cm2(desk)
    desk.new_for(CM2)
    await desk.say(RETURNEE, "I feel so sad")  # Tier 3: two days to acknowledge
    [alert] = desk.new_for(CM2)
    assert "Tier 3" in alert["text"]
    assert desk.new_for(CM) == [] and desk.new_for(SUPERVISOR) == []  # not yet
    desk.clock.advance(hours=49)
    assert await desk.engine.sweep() == 1
    await desk.sender.drain()
    assert desk.new_for(CM2)[0]["text"].startswith("Reminder 1")
    assert desk.new_for(CM)[0]["text"].startswith("Rappel 1")  # then the team
    assert desk.new_for(SUPERVISOR)[0]["text"].startswith("Reminder 1")  # and the supervisor
    assert desk.new_for(OTHER_CM) == []


async def test_tier1_never_waits_but_their_case_manager_hears_first(desk: Desk) -> None:
    await assign_to_cm2(desk)
    start = len(desk.transport.sent)
    await desk.say(RETURNEE, "I want to kill myself")
    alerted = [chat for chat, payload in desk.transport.sent[start:]
               if chat in (CM, CM2, SUPERVISOR)
               and ("Tier 1" in payload["text"] or "niveau 1" in payload["text"])]
    assert alerted[0] == CM2 and set(alerted) == {CM, CM2, SUPERVISOR}


async def test_an_inactive_case_manager_is_not_a_dead_end(desk: Desk) -> None:
    await assign_to_cm2(desk)
    from storage.models import Staff

    async with desk.db.sessions() as s:
        staff = (await s.scalars(select(Staff).where(Staff.chat_id == CM2))).one()
        staff.active = False
        await s.commit()
    await desk.say(RETURNEE, "I feel so sad")
    assert len(desk.new_for(CM)) == 1  # the team, as without an assignment


async def test_reassignment_keeps_the_history_and_respects_who_holds_the_case(
        desk: Desk) -> None:
    person = await assign_to_cm2(desk)
    [refused] = await desk.say(CM, f"/assign {person}")
    assert f"{person} est suivi·e par S-" in refused["text"]  # CM reads French
    [foreign] = await desk.say(OTHER_CM, f"/assign {person}")
    assert "No returnee" in foreign["text"]  # another country: not even whether they exist
    assert desk.new_for(CM) == []
    [listed] = await desk.say(SUPERVISOR, "/caseload team")
    assert ": 1" in listed["text"]
    from storage.models import Staff

    async with desk.db.sessions() as s:
        cm = (await s.scalars(select(Staff).where(Staff.chat_id == CM))).one()
    [handed] = await desk.say(SUPERVISOR, f"/assign {person} {cm.pseudonym}")
    assert handed["text"] == f"{person} is now with {cm.pseudonym}."
    [told_new] = desk.new_for(CM)
    assert person in told_new["text"]
    [told_old] = desk.new_for(CM2)
    assert told_old["text"] == f"{person} is now with {cm.pseudonym}."
    async with desk.db.sessions() as s:
        rows = (await s.scalars(select(CaseAssignment).order_by(CaseAssignment.id))).all()
    assert [(r.reason, r.ended_at is None) for r in rows] == [("manual", False),
                                                               ("handover", True)]
    assert rows[1].staff_pseudonym == cm.pseudonym and rows[1].assigned_by.startswith("staff:")
    [mine] = await desk.say(CM, "/caseload")
    assert person in mine["text"]
    [empty] = await desk.say(CM2, "/caseload")
    assert person not in empty["text"]
    async with desk.db.sessions() as s:
        actions = (await s.scalars(select(AuditEntry.action))).all()
    assert actions.count("case.assigned") == 2 and "staff.refused" in actions


async def test_wrong_commands_say_what_is_wrong(desk: Desk) -> None:
    person = await pseudonym(desk)
    [usage] = await desk.say(CM2, "/assign")
    assert "Use /assign PERSON" in usage["text"]
    [nobody] = await desk.say(CM2, f"/assign {person} S-000000")
    assert "cannot hold this case" in nobody["text"]
    [kind] = await desk.say(CM2, f"/session {person} party")
    assert "kinds: plan, wmodel, survey, midterm, final, other" in kind["text"]
    [future] = await desk.say(CM2, f"/session {person} plan phone 2030-01-01")
    assert "cannot be in the future" in future["text"]
    [gender] = await desk.say(CM2, "/gender maybe")
    assert "/gender female" in gender["text"]


async def test_mid_term_monitoring_is_planned_again_when_the_plan_date_is_recorded(
        desk: Desk) -> None:
    person = await assign_to_cm2(desk)

    async def due(kind: str) -> list[datetime]:
        async with desk.db.sessions() as s:
            return list((await s.scalars(select(FollowUp.due_at).where(
                FollowUp.kind == kind, FollowUp.status == "scheduled"))).all())

    # Returned 14 March 2026: the plan was due within a month, monitoring at 7 and 13 months.
    assert [d.date() for d in await due("final")] == [date(2027, 4, 14)]
    assert [d.date() for d in await due("midterm")] == []  # 14 Oct 2026 is past
    replies = await desk.say(CM2, f"/session {person} plan in_person 2026-11-20 Agreed the plan "
                                  "with them\nand their sister")
    assert replies[0]["text"].startswith("Session recorded: reintegration plan with")
    assert "mid-term monitoring is due around 2027-05-20" in replies[1]["text"]
    assert "final monitoring around 2027-11-20" in replies[1]["text"]
    assert [d.date() for d in await due("midterm")] == [date(2027, 5, 20)]
    assert [d.date() for d in await due("final")] == [date(2027, 11, 20)]
    assert [d.date() for d in await due("wmodel")] == [date(2027, 5, 20)]  # during the plan
    async with desk.db.sessions() as s:
        session = (await s.scalars(select(CaseSession))).one()
    assert (session.kind, session.mode, session.held_on) == ("plan", "in_person",
                                                             date(2026, 11, 20))
    assert session.note == "Agreed the plan with them\nand their sister"
    # The notice of the mid-term session reaches their case manager, not the whole team.
    desk.clock.now = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)
    desk.new_for(CM), desk.new_for(CM2)
    await desk.engine.run_followups()
    await desk.sender.drain()
    notices = [m["text"] for m in desk.new_for(CM2) if m["text"].startswith("Follow-up due")]
    assert any("mid-term monitoring" in n for n in notices)
    assert not [m for m in desk.new_for(CM) if "Suivi" in m["text"] or "Follow-up" in m["text"]]
    # Once held, mid-term monitoring is not due again when the schedule is recomputed.
    await desk.say(CM2, f"/session {person} midterm phone 2027-05-20")
    assert await due("midterm") == []


async def test_the_case_view_names_the_case_manager_the_plan_and_the_referrals(
        desk: Desk) -> None:
    person = await pseudonym(desk)
    [before] = await desk.say(CM2, f"/case {person}")
    assert "Case manager: -. Reintegration plan: -. Referrals: -." in before["text"]
    await assign_to_cm2(desk)
    async with desk.db.sessions() as s:
        manager = str(await s.scalar(select(CaseAssignment.staff_pseudonym)))
    [after] = await desk.say(CM2, f"/case {person}")
    assert f"Case manager: {manager}." in after["text"]
