"""Case management in the web console over HTTP: the case manager with the Assign form, the
plan completed in the browser as a new version (the person asked again, and shown it in
their language), sessions and the monitoring dates, referrals with consent and a slip that
holds only what was consented to, unmet needs, the caseloads and providers pages, the
exports; every form CSRF-checked, scoped to the staff member's country and audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.console.app import Console
from storage.casefile_models import CaseAssignment, CaseSession, PlanVersion, Referral
from storage.models import Staff
from tests.desk import CM, CM2, OTHER_CM, RETURNEE, SUPERVISOR, Desk
from tests.test_case_assignment import pseudonym
from tests.test_case_plan import RF, onboard_french
from tests.test_console import BASE, audit_rows, browser


@pytest.fixture
async def console(desk: Desk) -> Console:
    desk.engine.casework.console_url = BASE
    return Console(desk.db, desk.engine.casework, desk.clock, secure=False)


async def staff_pseudonym(desk: Desk, chat: str) -> str:
    async with desk.db.sessions() as s:
        return str((await s.scalars(select(Staff.pseudonym).where(Staff.chat_id == chat))
                    ).one())


def flash(page: str) -> str:
    found = re.search(r'<p class="flash" role="status">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


async def draft_in_chat(desk: Desk) -> None:
    """The returnee writes two objectives in My plan, in French."""
    await desk.say(RF, "/myplan")
    await desk.press(RF, "write")
    await desk.say(RF, "Ouvrir un atelier de couture à Thiès")
    await desk.press(RF, "skip")
    [confirm] = await desk.say(RF, "Reprendre le football le dimanche")
    assert "Voici ce que vous avez écrit" in confirm["text"]
    [saved] = await desk.press(RF, "save")
    assert saved["text"].startswith("C'est noté dans votre plan.")


PLAN_FORM = {
    "version": "1",
    "economic_objectives": "Ouvrir un atelier de couture à Thiès",
    "economic_what_0": "Trouver un local", "economic_who_0": "moi, avec le bureau",
    "economic_by_0": "2026-12-31",
    "economic_assistance": ["microbusiness", "vocational_training"],
    "economic_cost": "450", "economic_referral": "no",
    "psychosocial_objectives": "Reprendre le football le dimanche",
    "exit_strategy": "suivi clos après le suivi final ; une ONG locale ensuite",
    "plan_date": "2026-11-24",
}


async def test_a_plan_drafted_in_chat_is_completed_in_the_console_and_shown_back(
        desk: Desk, console: Console) -> None:
    person = await onboard_french(desk)
    await draft_in_chat(desk)
    cm2 = await browser(desk, console, CM2)
    await cm2.client.get("/lang/en?next=/")
    page = (await cm2.client.get(f"/case/{person}")).text
    assert "Reintegration plan" in page and "Ouvrir un atelier de couture à Thiès" in page
    assert "Version 1, " in page and f"{person}, in their words" in page
    me = await staff_pseudonym(desk, CM2)
    assert re.search(rf'id="case-manager".*?<strong>{me}</strong>', page, re.S)
    csrf = await cm2.csrf(f"/case/{person}")
    saved = await cm2.client.post(f"/case/{person}/plan", data={"csrf": csrf, **PLAN_FORM})
    assert saved.status_code == 303 and saved.headers["location"] == f"/case/{person}"
    page = (await cm2.client.get(f"/case/{person}")).text
    assert flash(page) == (f"Version 2 of the plan saved. {person} will be asked whether "
                           "they agree.")
    current = page.split('id="plan-current"')[1].split("</section>")[0]
    assert "Trouver un local" in current and "moi, avec le bureau" in current
    assert "by \u20662026-12-31\u2069" in current and "a small business of your own" in current
    assert "450" in current and "waiting for their answer" in page
    assert "Version 2, " in page and f"by {me}" in page  # who changed it
    async with desk.db.sessions() as s:
        versions = (await s.scalars(select(PlanVersion).order_by(PlanVersion.version))).all()
    assert [(v.version, v.author, v.consent) for v in versions] == [
        (1, "participant", "agreed"), (2, f"staff:{me}", None)]
    # The same form again changes nothing; a form from before a newer version is refused.
    again = await cm2.client.post(f"/case/{person}/plan",
                                  data={"csrf": csrf, **PLAN_FORM, "version": "2"})
    assert again.status_code == 303
    assert flash((await cm2.client.get(f"/case/{person}")).text) == "Nothing was changed."
    await cm2.client.post(f"/case/{person}/plan", data={"csrf": csrf, **PLAN_FORM,
                                                        "economic_cost": "beaucoup"})
    assert "version 2 is shown now" in flash((await cm2.client.get(f"/case/{person}")).text)
    await cm2.client.post(f"/case/{person}/plan", data={
        "csrf": csrf, **PLAN_FORM, "version": "2", "economic_cost": "beaucoup"})
    assert flash((await cm2.client.get(f"/case/{person}")).text) == (
        "Write the cost as a number, e.g. 450.")
    assert await desk.count(PlanVersion) == 2
    # The person is asked again, in French, and agrees; My plan then shows it in Arabic.
    await desk.engine.run_followups()
    await desk.sender.drain()
    [asked] = desk.new_for(RF)
    assert asked["text"].startswith("Votre gestionnaire de cas a mis à jour votre plan.")
    assert "• Trouver un local (moi, avec le bureau, pour le 31 décembre 2026)" in asked["text"]
    await desk.press(RF, "agree")
    page = (await cm2.client.get(f"/case/{person}")).text
    assert "waiting for their answer" not in page.split('id="plan-current"')[0]
    await desk.say(RF, "/language")
    await desk.press(RF, "lang:ar")
    [shown] = await desk.say(RF, "/myplan")
    assert "خطتك لإعادة الإدماج، النسخة 2" in shown["text"] and "Trouver un local" in shown["text"]
    actions = [a.action for a in await audit_rows(desk)]
    assert actions.count("plan.version_saved") == 1 and "plan.viewed" in actions


async def test_assign_me_a_colleague_or_automatically_keeps_the_history(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    sup = await browser(desk, console, SUPERVISOR)
    page = (await sup.client.get(f"/case/{person}")).text
    assert "Nobody is assigned yet." in page
    cm, cm2 = await staff_pseudonym(desk, CM), await staff_pseudonym(desk, CM2)
    assert f'<option value="{cm}">' in page and f'<option value="{cm2}">' in page
    assert await staff_pseudonym(desk, OTHER_CM) not in page  # another country's
    csrf = await sup.csrf(f"/case/{person}")
    await sup.client.post(f"/case/{person}/assign", data={"csrf": csrf, "target": cm})
    page = (await sup.client.get(f"/case/{person}")).text
    assert flash(page) == f"{person} is now with {cm}."
    mine = await browser(desk, console, CM2)
    csrf2 = await mine.csrf(f"/case/{person}")
    await mine.client.post(f"/case/{person}/assign", data={"csrf": csrf2, "target": "me"})
    refused = flash((await mine.client.get(f"/case/{person}")).text)
    assert refused.startswith(f"{person} is held by {cm}")
    await sup.client.post(f"/case/{person}/assign", data={"csrf": csrf, "target": "auto"})
    async with desk.db.sessions() as s:
        rows = (await s.scalars(select(CaseAssignment).order_by(CaseAssignment.id))).all()
    assert len(rows) == 2 and rows[0].ended_at is not None and rows[1].ended_at is None
    page = (await sup.client.get(f"/case/{person}")).text
    history = page.split('id="case-manager"')[1].split("</section>")[0]
    assert history.count("<tr><td>S-") == 2 and "handover" in history
    caseloads = (await sup.client.get("/caseloads")).text
    assert re.search(rf'data-staff="{rows[1].staff_pseudonym}">.*?class="held">1<',
                     caseloads, re.S)
    actions = [a.action for a in await audit_rows(desk)]
    assert actions.count("case.assigned") == 2 and "caseload.team_viewed" in actions


async def test_a_session_recorded_in_the_console_anchors_the_monitoring_dates(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    cm2 = await browser(desk, console, CM2)
    csrf = await cm2.csrf(f"/case/{person}")
    today = desk.clock().date()
    await cm2.client.post(f"/case/{person}/sessions", data={
        "csrf": csrf, "kind": "plan", "mode": "phone", "held_on": today.isoformat(),
        "note": "Parle de son frère à Thiès"})
    page = (await cm2.client.get(f"/case/{person}")).text
    assert flash(page) == f"Session recorded: reintegration plan, {today.isoformat()}."
    sessions = page.split('id="sessions"')[1].split("</section>")[0]
    assert "Parle de son frère à Thiès" in sessions and "by phone" in sessions
    midterm = re.search(r"Mid-term monitoring due</dt><dd>(\d{4}-\d\d-\d\d)", sessions)
    assert midterm and midterm.group(1) > today.isoformat()
    await cm2.client.post(f"/case/{person}/sessions", data={
        "csrf": csrf, "kind": "midterm", "mode": "in_person", "held_on": "2099-01-01"})
    assert "cannot be in the future" in flash((await cm2.client.get(f"/case/{person}")).text)
    assert await desk.count(CaseSession) == 1
    assert "session.recorded" in [a.action for a in await audit_rows(desk)]


async def test_a_referral_from_the_directory_then_its_slip_and_an_unmet_need(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    cm2 = await browser(desk, console, CM2)
    csrf = await cm2.csrf("/providers")
    directory = (await cm2.client.get("/providers")).text
    assert 'data-ref="S2"' in directory and "Centre de santé (exemple)" in directory
    await cm2.client.post("/providers", data={"csrf": csrf, "name": "Atelier Solidaire",
                                              "services": ["work", "training"],
                                              "contact": "+221 33 000 00 00"})
    directory = (await cm2.client.get("/providers")).text
    assert flash(directory).startswith("Provider P") and "Atelier Solidaire" in directory
    await cm2.client.post("/providers", data={"csrf": csrf, "name": " "})
    assert "at least one service" in flash((await cm2.client.get("/providers")).text)
    page = (await cm2.client.get(f"/case/{person}")).text
    assert re.search(r'<option value="P\d+">P\d+ · Atelier Solidaire</option>', page)
    await cm2.client.post(f"/case/{person}/referrals", data={
        "csrf": csrf, "provider": "S2", "service": "health", "shared": ["need", "language"],
        "note": "Needs her insulin prescription renewed"})
    page = (await cm2.client.get(f"/case/{person}")).text
    assert "is asked first whether they agree" in flash(page)
    referrals = page.split('id="referrals"')[1].split("</section>")[0]
    assert "waiting for their consent" in referrals and "the language you speak" in referrals
    async with desk.db.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
    assert referral.shared == ["need", "language"] and referral.status == "proposed"
    before = (await cm2.client.get(f"/referrals/{referral.id}/slip")).text
    assert "Nothing may be shared" in before
    await desk.engine.run_followups()
    await desk.sender.drain()
    await desk.press(RETURNEE, "yes")
    slip = (await cm2.client.get(f"/referrals/{referral.id}/slip")).text
    assert "Needs her insulin prescription renewed" in slip and "<dt>language</dt>" in slip
    assert "return_date" not in slip and "sex" not in slip  # not consented to
    page = (await cm2.client.get(f"/case/{person}")).text
    assert f'href="/referrals/{referral.id}/slip"' in page
    await cm2.client.post(f"/case/{person}/unmet", data={
        "csrf": csrf, "service": "legal", "note": "No free legal aid in Kolda"})
    page = (await cm2.client.get(f"/case/{person}")).text
    assert flash(page) == "Unmet need recorded."
    assert "legal help: No free legal aid in Kolda" in page.split('id="unmet"')[1]
    actions = [a.action for a in await audit_rows(desk)]
    assert {"provider.added", "referral.proposed", "referral.slip",
            "unmet_need.recorded"} <= set(actions)


async def test_case_management_exports_are_downloaded_by_supervisors_and_audited(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    cm2 = await browser(desk, console, CM2)
    csrf = await cm2.csrf(f"/case/{person}")
    await cm2.client.post(f"/case/{person}/unmet", data={
        "csrf": csrf, "service": "legal", "note": "No free legal aid in Kolda"})
    await cm2.client.post(f"/case/{person}/sessions", data={
        "csrf": csrf, "kind": "wmodel", "mode": "chat"})
    assert (await cm2.client.get("/export/plans.csv")).status_code == 403
    sup = await browser(desk, console, SUPERVISOR)
    page = (await sup.client.get("/supervision")).text
    assert 'href="/export/unmet-needs.csv?country=SN"' in page
    heads = {"plans": "person,country_of_origin,version", "referrals": "referral_id,",
             "sessions": "session_id,", "unmet-needs": "recorded_at,country,service,note",
             "monitoring": "person,"}
    for kind, head in heads.items():
        response = await sup.client.get(f"/export/{kind}.csv")
        assert response.status_code == 200 and response.text.startswith(head), kind
        assert response.headers["content-disposition"] == f'attachment; filename="{kind}.csv"'
    unmet = (await sup.client.get("/export/unmet-needs.csv")).text
    assert "No free legal aid in Kolda" in unmet and person not in unmet  # not the person
    assert ",wmodel,chat," in (await sup.client.get("/export/sessions.csv")).text
    assert (await sup.client.get("/export/plans.csv?country=AF")).status_code == 403
    rows = await audit_rows(desk)
    for action in ("export.plans", "export.referrals", "export.sessions",
                   "export.unmet_needs", "export.monitoring"):
        assert any(r.action == action and r.actor.startswith("staff:S-") for r in rows), action


async def test_another_countrys_case_forms_are_not_allowed_and_audited(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    cm2 = await browser(desk, console, CM2)
    csrf2 = await cm2.csrf(f"/case/{person}")
    await cm2.client.post(f"/case/{person}/referrals", data={
        "csrf": csrf2, "provider": "S2", "service": "health", "shared": ["need"]})
    async with desk.db.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
    other = await browser(desk, console, OTHER_CM)  # a case manager of AF
    csrf = await other.csrf("/caseloads")
    forms = {"assign": {"target": "me"}, "plan": {"version": "", "exit_strategy": "x"},
             "sessions": {"kind": "plan", "mode": "phone"},
             "referrals": {"provider": "S2", "service": "health"},
             "unmet": {"service": "legal"}}
    for path, data in forms.items():
        response = await other.client.post(f"/case/{person}/{path}", data={"csrf": csrf,
                                                                            **data})
        assert response.status_code == 403 and "not allowed" in response.text, path
    assert (await other.client.get(f"/referrals/{referral.id}/slip")).status_code == 403
    sn_staff = await staff_pseudonym(desk, CM2)
    assert sn_staff not in (await other.client.get("/caseloads")).text  # only AF
    assert (await other.client.get(f"/caseloads?of={sn_staff}")).status_code == 403
    assert "Centre de santé (exemple)" not in (await other.client.get("/providers")).text
    assert await desk.count(CaseAssignment) == 0 and await desk.count(CaseSession) == 0
    assert await desk.count(PlanVersion) == 0 and await desk.count(Referral) == 1
    attempts = {a.details.get("attempt") for a in await audit_rows(desk)
                if a.action == "staff.refused"}
    assert {f"assign:{person}", f"plan:{person}", f"session:{person}", f"refer:{person}",
            f"unmet:{person}", f"slip:{referral.id}", f"caseload:{sn_staff}"} <= attempts


async def test_case_management_forms_without_their_csrf_token_are_refused(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    cm2 = await browser(desk, console, CM2)
    forms = {"assign": {"target": "me"}, "plan": {"version": "", "exit_strategy": "x"},
             "sessions": {"kind": "plan", "mode": "phone"},
             "referrals": {"provider": "S2", "service": "health"},
             "unmet": {"service": "legal"}}
    for path, data in forms.items():
        for token in ({}, {"csrf": "forged"}):
            response = await cm2.client.post(f"/case/{person}/{path}", data={**token, **data})
            assert response.status_code == 403 and "This form has expired" in response.text
    refused = await cm2.client.post("/providers", data={"name": "X", "services": ["work"]})
    assert refused.status_code == 403
    assert await desk.count(CaseAssignment) == 0 and await desk.count(CaseSession) == 0
    assert await desk.count(PlanVersion) == 0 and await desk.count(Referral) == 0
    refusals = [a for a in await audit_rows(desk) if a.action == "console.csrf_refused"]
    assert len(refusals) == 11


async def test_the_case_file_in_arabic_is_right_to_left_and_translated(
        desk: Desk, console: Console) -> None:
    person = await pseudonym(desk, RETURNEE)
    cm2 = await browser(desk, console, CM2)
    await cm2.client.get("/lang/ar?next=/")
    page = (await cm2.client.get(f"/case/{person}")).text
    assert 'dir="rtl"' in page and 'id="plan"' in page
    for english in ("Reintegration plan", "Record a session", "Refer to a provider",
                    "Unmet needs", "Case manager"):
        assert english not in page, english
    for path in ("/caseloads", "/providers"):
        other = (await cm2.client.get(path)).text
        assert 'dir="rtl"' in other and "Caseloads" not in other.split("<main>")[1]
