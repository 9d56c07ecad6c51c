"""Referrals through the engine: consent for one provider naming what is shared, the
follow-up question days later (moved clock), "not reached" back to the case manager; what
a provider may receive; unmet needs; the case exports; a wish for a female case manager."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flows.casework import api
from flows.research.case_exports import EXPORTS
from storage.casefile_models import CaseAssignment, Referral
from storage.models import AuditEntry, Consent, Staff
from tests.desk import CM, CM2, RETURNEE, Desk
from tests.test_case_assignment import assign_to_cm2


async def staff_id(desk: Desk, chat: str) -> int:
    async with desk.db.sessions() as s:
        return int((await s.scalars(select(Staff.id).where(Staff.chat_id == chat))).one())


async def test_a_referral_with_consent_then_not_reached_goes_back_to_the_case_manager(
        desk: Desk) -> None:
    person = await assign_to_cm2(desk)
    [listed] = await desk.say(CM2, "/provider")
    assert "S2 Centre de santé (exemple) (health, feelings)" in listed["text"]
    [proposed] = await desk.say(CM2, f"/refer {person} S2 health share=need,language "
                                     "Needs her insulin prescription renewed")
    assert proposed["text"].startswith("Referral #1 proposed")
    await desk.engine.run_followups()
    await desk.sender.drain()
    [asked] = desk.new_for(RETURNEE)
    assert ("Your case manager suggests Centre de santé (exemple) for health care. To refer "
            "you, they would share with Centre de santé (exemple) only this:\n– what you need "
            "help with\n– the language you speak\nNothing else is shared.") in asked["text"]
    [agreed] = await desk.press(RETURNEE, "yes")
    assert agreed["text"].startswith("Thank you. Your case manager will make the referral")
    [told] = desk.new_for(CM2)
    assert told["text"].endswith("Share only: need, language.")
    async with desk.db.sessions() as s:
        consent = (await s.scalars(select(Consent).where(
            Consent.purpose == "referral:S2"))).one()
        referral = (await s.scalars(select(Referral))).one()
    assert (consent.granted, consent.version) == (True, "2026-11")
    assert (referral.status, referral.consent_version) == ("made", "2026-11")
    # A provider never receives more than the consent covers.
    cm2 = await staff_id(desk, CM2)
    slip = await desk.db.run(api.referral_slip, desk.engine.casework, cm2, referral.id,
                             desk.clock())
    assert slip == {"reference": person, "provider": "Centre de santé (exemple)",
                    "service": "health", "need": "Needs her insulin prescription renewed",
                    "language": "en"}
    # Nothing is asked before the country's set number of days (14 by default).
    desk.clock.advance(days=13)
    await desk.engine.run_followups()
    await desk.sender.drain()
    assert not [m for m in desk.new_for(RETURNEE) if "referred to" in m["text"]]
    desk.clock.advance(days=1, hours=1)
    await desk.engine.run_followups()
    await desk.sender.drain()
    [question] = [m for m in desk.new_for(RETURNEE) if "referred to" in m["text"]]
    assert question["text"] == ("Some days ago you were referred to Centre de santé (exemple) "
                                "for health care. Were you able to reach them?")
    assert [b["data"] for b in question["buttons"]] == ["yes", "no"]
    desk.new_for(CM2), desk.new_for(CM)
    [thanks] = await desk.press(RETURNEE, "no")
    assert "I have let your case manager know" in thanks["text"]
    [back] = desk.new_for(CM2)
    assert back["text"] == (f"{person} has not reached Centre de santé (exemple) (health "
                            "care). Please help them reach it, or find another way.")
    assert desk.new_for(CM) == []  # their case manager, not the team
    async with desk.db.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
    assert (referral.status, referral.reached) == ("not_reached", False)
    [history] = await desk.say(CM2, f"/refer {person}")
    assert "#1" in history["text"] and "not_reached" in history["text"]


async def test_a_refused_referral_shares_nothing(desk: Desk) -> None:
    person = await assign_to_cm2(desk)
    await desk.say(CM2, f"/refer {person} S1 work share=need,return_date,age_sex")
    [waiting] = await desk.say(CM2, f"/case {person}")  # the state named, not its code
    assert "waiting for their consent." in waiting["text"]
    await desk.engine.run_followups()
    await desk.sender.drain()
    desk.new_for(RETURNEE)
    [answer] = await desk.press(RETURNEE, "no")
    assert answer["text"].startswith("That is fine: nothing is shared.")
    async with desk.db.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
    assert referral.status == "declined" and referral.ask_at is None
    [case] = await desk.say(CM2, f"/case {person}")
    assert f"Referrals: #{referral.id} declined." in case["text"]
    cm2 = await staff_id(desk, CM2)
    slip = await desk.db.run(api.referral_slip, desk.engine.casework, cm2, referral.id,
                             desk.clock())
    assert slip == {}
    desk.clock.advance(days=30)
    await desk.engine.run_followups()
    await desk.sender.drain()
    assert not [m for m in desk.new_for(RETURNEE) if "referred to" in m["text"]]


async def test_directory_unmet_needs_and_clear_refusals(desk: Desk) -> None:
    person = await assign_to_cm2(desk)
    [added] = await desk.say(CM2, "/provider add Clinique Espoir | mental_health, health | "
                                  "+221 00 000 00 09")
    assert added["text"] == "Added to the directory as P1: Clinique Espoir."
    [nope] = await desk.say(CM2, f"/refer {person} P9 health")
    assert nope["text"].startswith("No provider P9 in the directory of SN")
    [service] = await desk.say(CM2, f"/refer {person} P1 magic")
    assert service["text"].startswith("Services: assistance, housing")
    [field] = await desk.say(CM2, f"/refer {person} P1 health share=passport")
    assert field["text"].startswith("What may be shared: need, language")
    [usage] = await desk.say(CM2, "/refer")
    assert usage["text"].startswith("Use /refer PERSON PROVIDER SERVICE")
    [unmet] = await desk.say(CM2, f"/unmet {person} housing No shelter for men in Thiès")
    assert unmet["text"].startswith(f"Unmet need recorded for {person}: housing.")
    rows = await desk.db.run(EXPORTS["unmet-needs"][0], "SN", None, desk.clock())
    assert rows == [{"recorded_at": desk.clock().date().isoformat(), "country": "SN",
                     "service": "housing", "note": "No shelter for men in Thiès"}]
    assert await desk.db.run(EXPORTS["unmet-needs"][0], "AF", None, desk.clock()) == []


async def test_exports_carry_plans_referrals_sessions_and_monitoring(desk: Desk) -> None:
    person = await assign_to_cm2(desk)
    await desk.say(CM2, f"/plan {person}\neconomic objective: open a shop\n"
                        "economic cost: 300\ndate: 2026-11-20")
    await desk.say(CM2, f"/session {person} plan in_person 2026-11-20 first plan session")
    await desk.say(CM2, f"/refer {person} S2 health")
    now = desk.clock()
    plans = await desk.db.run(EXPORTS["plans"][0], "SN", None, now)
    assert [(p["person"], p["version"], p["economic_objectives"], p["economic_cost"],
             p["plan_date"]) for p in plans] == [(person, 1, "open a shop", 300.0,
                                                  "2026-11-20")]
    sessions = await desk.db.run(EXPORTS["sessions"][0], "SN", None, now)
    assert [(s["kind"], s["mode"], s["note"]) for s in sessions] == [
        ("plan", "in_person", "first plan session")]
    referrals = await desk.db.run(EXPORTS["referrals"][0], "SN", None, now)
    assert [(r["provider_ref"], r["status"], r["shared"]) for r in referrals] == [
        ("S2", "proposed", "need")]
    [row] = await desk.db.run(EXPORTS["monitoring"][0], "SN", None, now)
    assert (row["plan_date"], row["midterm_due"], row["final_due"], row["sessions_plan"],
            row["case_manager"], row["follow_up_until"]) == (
        "2026-11-20", "2027-05-20", "2027-11-20", 1, sessions[0]["staff"], "2028-05-20")
    assert set(EXPORTS["monitoring"][1]) >= set(row)
    async with desk.db.sessions() as s:
        actions = set((await s.scalars(select(AuditEntry.action))).all())
    assert {"export.plans", "export.sessions", "export.referrals",
            "export.monitoring"} <= actions


async def test_a_wish_for_a_woman_as_case_manager_is_honoured_where_the_office_has_one(
        desk: Desk) -> None:
    await assign_to_cm2(desk)
    await desk.say(RETURNEE, "/myplan")
    await desk.press(RETURNEE, "gender")
    [none] = await desk.press(RETURNEE, "prefer:female")
    assert none["text"].startswith("Noted. The office has nobody like that just now")
    [kept] = desk.new_for(CM2)
    assert "would prefer a woman" in kept["text"]
    [recorded] = await desk.say(CM, "/gender female")
    assert "woman" in recorded["text"] or "femme" in recorded["text"]
    await desk.say(RETURNEE, "/myplan")
    await desk.press(RETURNEE, "gender")
    [assigned] = await desk.press(RETURNEE, "prefer:female")
    assert assigned["text"].startswith("Noted. A case manager as you asked")
    assert desk.new_for(CM)  # the new case manager is told
    async with desk.db.sessions() as s:
        rows = (await s.scalars(select(CaseAssignment).order_by(CaseAssignment.id))).all()
    assert [r.reason for r in rows] == ["manual", "preference"]
    assert rows[0].ended_at is not None and rows[1].ended_at is None


@pytest.mark.parametrize("what", sorted(EXPORTS))
def test_every_export_names_its_columns(what: str) -> None:
    build, columns = EXPORTS[what]
    assert callable(build) and len(columns) == len(set(columns)) > 3
