"""The reintegration plan through the engine: drafted with the returnee in chat, completed
by the case manager (Telegram command and the console's API), asked again for consent when
it changes, shown back in the person's language (French, then Arabic), activities asked
about at a check-in, and the plan's words sealed at rest and erased with the person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from flows.casework import api
from flows.casework.plan import Activity, PlanChange
from storage import crypto
from storage.casefile_models import CaseFile, PlanProgress, PlanVersion
from storage.models import Consent, Participant, Staff
from tests.desk import CM, CM2, Desk
from tests.test_case_assignment import pseudonym

RF = "rf"  # a returnee who speaks French

PLAN_LINES = ("economic activity: Trouver un local | moi, avec le bureau | 2026-12-31\n"
              "economic assistance: microbusiness, vocational_training\n"
              "economic cost: 450\n"
              "economic referral: no\n"
              "exit: suivi clos après le suivi final ; une ONG locale ensuite\n"
              "date: 2026-11-24")


@pytest.fixture
def key() -> Iterator[str]:
    value = Fernet.generate_key().decode()
    crypto.use_key(value)
    yield value
    crypto.use_key(None)


async def onboard_french(desk: Desk) -> str:
    await desk.say(RF, "/start")
    for payload in ("lang:fr", "next", "yes", "yes"):
        await desk.press(RF, payload)
    await desk.say(RF, "Sénégal")
    await desk.press(RF, "yes")
    await desk.say(RF, "14/03/2026")
    await desk.press(RF, "pick:2026-03-14")  # the date said back: that is right
    person = await pseudonym(desk, RF)
    await desk.say(CM2, f"/assign {person}")
    desk.new_for(RF), desk.new_for(CM2), desk.new_for(CM)
    return person


async def draft_in_chat(desk: Desk) -> None:
    [empty] = await desk.say(RF, "/myplan")
    assert empty["text"].startswith("Vous n'avez pas encore de plan de réintégration")
    assert [b["data"] for b in empty["buttons"]] == ["write", "gender", "back"]
    [economic] = await desk.press(RF, "write")
    assert "travail et vos revenus" in economic["text"]
    await desk.say(RF, "Ouvrir un atelier de couture à Thiès")
    await desk.press(RF, "skip")
    [confirm] = await desk.say(RF, "Retrouver confiance avec ma famille")
    assert "Voici ce que vous avez écrit" in confirm["text"]
    assert "Économique : travail et revenus : “Ouvrir un atelier de couture à Thiès”" in (
        confirm["text"])
    [saved] = await desk.press(RF, "save")
    assert saved["text"].startswith("C'est noté dans votre plan.")


async def test_a_plan_drafted_in_chat_completed_by_the_case_manager_shown_in_french_and_arabic(
        desk: Desk) -> None:
    person = await onboard_french(desk)
    await draft_in_chat(desk)
    [notice] = desk.new_for(CM2)  # their case manager, not the whole team
    assert notice["text"].startswith(f"{person} wrote their objectives")
    assert desk.new_for(CM) == []
    saved = await desk.say(CM2, f"/plan {person}\n{PLAN_LINES}")
    assert saved[0]["text"] == (f"Version 2 of the plan saved. {person} will be asked "
                                "whether they agree.")
    assert "Support:\n– a small business of your own\n– vocational training" in saved[1]["text"]
    assert "Total estimated cost: 450" in saved[1]["text"]
    # The changed plan is put to them for consent as soon as they are free, in French.
    await desk.engine.run_followups()
    await desk.sender.drain()
    [asked] = desk.new_for(RF)
    text_fr = asked["text"]
    assert text_fr.startswith("Votre gestionnaire de cas a mis à jour votre plan.")
    assert "Votre plan de réintégration, version 2, convenu le 24 novembre 2026." in text_fr
    assert "Objectifs : “Ouvrir un atelier de couture à Thiès”" in text_fr
    assert "• Trouver un local (moi, avec le bureau, pour le 31 décembre 2026)" in text_fr
    assert "– une petite entreprise à vous" in text_fr
    assert "Coût estimé : 450" in text_fr
    assert "Psychosociale : bien-être et relations" in text_fr
    assert "Comment l'accompagnement prendra fin : “suivi clos" in text_fr
    assert "Survey baseline" not in text_fr and "S-" not in text_fr  # staff-only lines
    assert [b["data"] for b in asked["buttons"]] == ["agree", "talk", "back"]
    [thanks] = await desk.press(RF, "agree")
    assert thanks["text"].startswith("Merci. Votre gestionnaire de cas verra que vous êtes "
                                     "d'accord.")
    [told] = desk.new_for(CM2)
    assert told["text"] == f"{person} agreed to version 2 of their plan."
    async with desk.db.sessions() as s:
        versions = (await s.scalars(select(PlanVersion).order_by(PlanVersion.version))).all()
        consent = (await s.scalars(select(Consent).where(Consent.purpose == "plan"))).one()
        case_file = (await s.scalars(select(CaseFile))).one()
    assert [(v.version, v.author.split(":")[0], v.consent) for v in versions] == [
        (1, "participant", "agreed"), (2, "staff", "agreed")]
    assert (consent.version, consent.granted) == ("plan-v2", True)
    assert case_file.plan_date == date(2026, 11, 24)  # the plan's date anchors monitoring
    # "My plan" shows the current version in the person's language: now Arabic.
    await desk.say(RF, "/language")
    await desk.press(RF, "lang:ar")
    [shown] = await desk.say(RF, "/myplan")
    assert "خطتك لإعادة الإدماج، النسخة 2، متفق عليها في" in shown["text"]
    assert "الاقتصادي: العمل والدخل" in shown["text"]
    assert "– مشروع صغير خاص بك" in shown["text"]
    assert "“Ouvrir un atelier de couture à Thiès”" in shown["text"]  # their own words
    assert "نوفمبر" in shown["text"]  # the date in Arabic
    assert [b["data"] for b in shown["buttons"]] == ["write", "gender", "back"]


async def test_the_console_api_saves_a_version_and_lists_them_with_who_wrote_each(
        desk: Desk) -> None:
    person = await onboard_french(desk)
    await draft_in_chat(desk)
    async with desk.db.sessions() as s:
        cm2 = (await s.scalars(select(Staff).where(Staff.chat_id == CM2))).one()
        other = (await s.scalars(select(Staff).where(Staff.chat_id == "cmx"))).one()
    change = PlanChange(add_activities={"social": [Activity("Refaire la carte d'identité",
                                                            "bureau", date(2027, 1, 15))]})
    engine = desk.engine
    saved = await desk.db.run(api.save_plan_version, engine.casework, cm2.id, person, change,
                              desk.clock())
    assert saved.version == 2 and saved.consent is None
    assert saved.plan.social.activities[0].what == "Refaire la carte d'identité"
    assert saved.plan.economic.objectives == "Ouvrir un atelier de couture à Thiès"  # kept
    versions = await desk.db.run(api.plan_versions, engine.casework, cm2.id, person,
                                 desk.clock())
    assert [(v.version, v.author) for v in versions] == [
        (1, "participant"), (2, f"staff:{cm2.pseudonym}")]
    with pytest.raises(api.CaseError):  # another country's case manager
        await desk.db.run(api.plan_versions, engine.casework, other.id, person, desk.clock())
    bad = await desk.say(CM2, f"/plan {person}\neconomic cost: beaucoup")
    assert bad[0]["text"] == ("This line could not be read:\neconomic cost: beaucoup\n"
                              "Write the cost as a number, e.g. 450.")


async def test_a_check_in_asks_how_one_activity_is_going_and_keeps_the_answer(
        desk: Desk) -> None:
    person = await onboard_french(desk)
    await desk.say(CM2, f"/plan {person}\n{PLAN_LINES}")
    await desk.engine.run_followups()
    await desk.sender.drain()
    await desk.press(RF, "agree")
    await desk.say(RF, "/checkin")
    await desk.press(RF, "mood:4")
    await desk.press(RF, "none")
    await desk.press(RF, "done")
    [asked] = await desk.press(RF, "no")
    assert asked["text"].startswith("Merci pour ce suivi.")  # the check-in's own thanks
    assert "Une chose de votre plan : « Trouver un local ». Comment ça avance ?" in (
        asked["text"])
    assert "progress:stuck" in [b["data"] for b in asked["buttons"]]
    desk.new_for(CM2)
    await desk.press(RF, "progress:stuck")
    [told] = desk.new_for(CM2)
    assert "stuck" in told["text"] and "Trouver un local" in told["text"]
    async with desk.db.sessions() as s:
        progress = (await s.scalars(select(PlanProgress))).one()
    assert (progress.activity, progress.status, progress.plan_version) == (
        "economic:0", "stuck", 1)
    [plan] = await desk.say(CM2, f"/plan {person}")
    assert "“Trouver un local”: stuck" in plan["text"]  # kept beside the activity
    # Not again at the next check-in: "now and then".
    await desk.say(RF, "/checkin")
    for payload in ("mood:4", "none", "done"):
        await desk.press(RF, payload)
    [after] = await desk.press(RF, "no")
    assert "progress:stuck" not in [b["data"] for b in after["buttons"]]


async def test_plan_words_are_sealed_at_rest_listed_in_my_data_and_erased_with_the_person(
        desk: Desk, key: str) -> None:
    person = await onboard_french(desk)
    await draft_in_chat(desk)
    await desk.say(CM2, f"/session {person} plan phone 2026-11-24 Parle de son frère à Thiès")
    async with desk.db.engine.connect() as conn:
        raw = [str(v) for v in (await conn.execute(text(
            "SELECT content FROM plan_versions"))).scalars()]
        notes = [str(v) for v in (await conn.execute(text(
            "SELECT note FROM case_sessions"))).scalars()]
    assert raw and all("enc2:" in value and "Thiès" not in value for value in raw)
    assert notes and all(n.startswith("enc2:") for n in notes)
    await desk.say(RF, "/privacy")
    [mine] = await desk.press(RF, "show")
    assert "versions de votre plan : 1" in mine["text"]
    assert "séances tenues : 1" in mine["text"]
    await desk.press(RF, "delete")
    await desk.press(RF, "yes")
    async with desk.db.engine.connect() as conn:
        for table in ("plan_versions", "case_sessions", "case_assignments", "case_files",
                      "case_questions"):
            left = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert left == 0, table
    async with desk.db.sessions() as s:
        assert await s.scalar(select(Participant).where(Participant.chat_id == RF)) is None
