"""Casework decides without a database: the staff desk's decisions, the case view,
assignment and the returnee's answers about their plan and referrals get what was read and
return changes; nothing here opens a connection, and the storage interface is made to
explode if anything reaches it."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from flows.casework import decisions as decide
from flows.casework.assignment import decide_assignment, handover
from flows.casework.case_view import CaseRead
from flows.casework.casework import Casework
from flows.casework.changes import (
    Acknowledge,
    AddProgress,
    AnswerQuestion,
    AskQuestion,
    Assign,
    Audit,
    CaseError,
    Claim,
    EndChatsOf,
    EndHandoff,
    Guarded,
    KeepHandoffMessage,
    NotifyTeam,
    Outbox,
    RecordConsent,
    Refuse,
    Resolve,
    Send,
    SetPending,
    SetPlanConsent,
    StartHandoff,
    UpdateReferral,
)
from flows.casework.plan_desk import decide_plan_answer, decide_progress
from flows.casework.referrals import decide_referral_answer
from flows.casework.staff import StaffView
from flows.engine.events import AnswerReferral
from flows.engine.records import WPoint
from flows.l10n.countries import CountryPacks
from flows.l10n.i18n import Catalogs
from storage import casestore

NOW = datetime(2026, 3, 1, 9, 0)
STAFF = StaffView(7, "S-AB12CD", "telegram", "900", "case_manager", "GM", "en", {})
LEAD = StaffView(8, "S-LEAD01", "telegram", "901", "supervisor", "GM", "en", {})


@pytest.fixture(autouse=True)
def no_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read and write of the storage interface fails the test if called."""
    def boom(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a decision touched storage")

    for name in dir(casestore):
        value = getattr(casestore, name)
        if (callable(value) and not isinstance(value, type)
                and getattr(value, "__module__", "").startswith("storage.")):
            monkeypatch.setattr(casestore, name, boom)


def escalation(status: str = "open", **kw: Any) -> SimpleNamespace:
    return SimpleNamespace(id=12, participant_id=3, pseudonym="R-7KQ2MX9P", status=status,
                           country="GM", p_channel="telegram", p_chat_id="300", locale="fr",
                           **kw)


def texts(changes: Any) -> list[str]:
    return [part.msgid for c in changes if isinstance(c, Send) for part in c.parts]


def test_the_guard_makes_storage_explode() -> None:
    with pytest.raises(AssertionError, match="touched storage"):
        casestore.get_escalation(None, 1)


def test_acknowledge_tells_the_person_only_when_it_held() -> None:
    done = decide.to_staff(STAFF, "done")
    change = decide.acknowledge(STAFF, escalation(), done=(done,))
    assert change.write == Acknowledge(12, 7)
    audit, seen, reply = change.then
    assert audit == Audit("staff:S-AB12CD", "escalation.acknowledged", "R-7KQ2MX9P",
                          {"escalation": 12})
    assert (seen.chat_id, seen.locale, seen.participant_id) == ("300", "fr", 3)
    assert seen.parts[0].msgid == decide.SEEN
    assert reply is done and change.otherwise == ()


def test_claim_audits_either_way_and_tells_the_person_if_it_was_open() -> None:
    change = decide.claim(STAFF, escalation())
    assert change.write == Claim(12, 7)
    assert [c.action for c in change.then if isinstance(c, Audit)] == ["escalation.claimed"]
    assert texts(change.then) == [decide.SEEN]
    assert change.otherwise == (Audit("staff:S-AB12CD", "escalation.claim_lost",
                                      "R-7KQ2MX9P", {"escalation": 12}),)
    assert texts(decide.claim(STAFF, escalation("acknowledged")).then) == []


def test_open_chat_claims_then_starts_the_handoff() -> None:
    busy = decide.to_staff(STAFF, decide.BUSY)
    change = decide.open_chat(STAFF, escalation(), busy=(busy,))
    assert change.write == Claim(12, 7)
    (start,) = change.then
    assert isinstance(start, Guarded) and start.write == StartHandoff(3, 7, 12)
    assert start.otherwise == (busy,)
    assert [c.action for c in start.then if isinstance(c, Audit)] == ["handoff.started"]
    assert texts(start.then) == [decide.CHAT_STARTED]


def test_buttons_decide_from_the_payload_and_the_row_read() -> None:
    nonsense = decide.button(STAFF, "esc:drop:12", None)
    assert nonsense[0] == Audit("staff:S-AB12CD", "staff.refused", None,
                                {"attempt": "button", "button": "other"})
    assert texts(nonsense) == [decide.NOT_ALLOWED]
    out_of_scope = decide.button(STAFF, "esc:ack:12", None)
    assert out_of_scope[0].details == {"attempt": "ack:12"}
    assert texts(out_of_scope) == [decide.NOT_ALLOWED]
    (ack,) = decide.button(STAFF, "esc:ack:12", escalation())
    assert isinstance(ack, Guarded) and ack.write == Acknowledge(12, 7)
    assert texts(ack.otherwise) == ["Case #{id} was already acknowledged."]
    pending, audit, prompt = decide.button(STAFF, "esc:resolve:12", escalation())
    assert pending == SetPending(7, {"resolve": 12})
    assert audit.action == "escalation.resolve_started"
    assert prompt.chat_id == "900"


def test_a_resolution_note_ends_the_chats_and_clears_what_is_pending() -> None:
    empty = decide.resolution_note(STAFF, 12, escalation(), "  ")
    assert empty[0] == SetPending(7, {}) and texts(empty) == ["A resolution needs a note."]
    cleared, resolved = decide.resolution_note(STAFF, 12, escalation(), " fixed \n")
    assert cleared == SetPending(7, {})
    assert isinstance(resolved, Guarded) and resolved.write == Resolve(12, "fixed")
    ends, audit, reply = resolved.then
    assert reply.chat_id == "900"
    assert isinstance(ends, EndChatsOf) and ends.tell.parts[0].msgid == decide.ENDED
    assert audit.action == "escalation.resolved"
    assert texts(resolved.otherwise) == ["Case #{id} is not open."]
    gone = decide.resolution_note(STAFF, 12, None, "fixed")
    assert gone[1].details == {"attempt": "resolve:12"}


def test_ending_and_relaying_a_chat() -> None:
    handoff = SimpleNamespace(id=5, participant_id=3, pseudonym="R-7KQ2MX9P",
                              p_channel="telegram", p_chat_id="300", locale=None)
    assert decide.end_chat(STAFF, None) == ()
    end, audit, told = decide.end_chat(STAFF, handoff)
    assert end == EndHandoff(5) and audit.action == "handoff.ended"
    assert told.locale == "en" and told.parts[0].msgid == decide.ENDED
    audit, row, kept = decide.relay(STAFF, handoff, "Hello")
    assert audit.action == "handoff.message"
    assert row == Outbox("telegram", "300", {"text": "Hello", "buttons": [], "locale": "en"},
                         participant_id=3)
    assert kept == KeepHandoffMessage(5, 3, True, "Hello")


@pytest.fixture(scope="module")
def casework() -> Casework:
    return Casework(Catalogs(), CountryPacks.load())


def test_the_case_page_is_rendered_from_what_was_read(casework: Casework) -> None:
    refused = casework.case_page(STAFF, None)
    assert [type(c) for c in refused] == [Audit, Send]
    assert refused[0].details == {"attempt": "case"}
    person = SimpleNamespace(id=3, pseudonym="R-7KQ2MX9P", country="GM", locale="fr",
                             return_date=None, profile="standard")
    esc = SimpleNamespace(id=12, tier=2, status="open", created_at=NOW, categories=["mood"],
                          category="mood")
    point = WPoint(id=1, kind="down", note="hard", months=2, dimension=None, intensity=4)
    page = casework.case_page(STAFF, CaseRead(person, [(esc, [])], [], [point], []))
    audit, text, chart = page
    assert audit == Audit("staff:S-AB12CD", "case.viewed", "R-7KQ2MX9P", {})
    assert text.about == 3 and text.parts[0].params["history"].startswith("#12 T2 open")
    assert isinstance(chart, Outbox) and chart.kind == "chart" and chart.about == 3


def staff_row(id: int, pseudonym: str, role: str = "case_manager", country: str = "GM",
              active: bool = True) -> SimpleNamespace:
    return SimpleNamespace(id=id, pseudonym=pseudonym, role=role, country=country,
                           active=active, channel="telegram", chat_id=str(900 + id),
                           languages=["en"], pending={})


def test_assignment_is_decided_from_what_was_read(casework: Casework) -> None:
    catalogs = casework.catalogs
    person = SimpleNamespace(id=3, pseudonym="R-7KQ2MX9P", country="GM")
    other = staff_row(9, "S-OTHER9")
    held = SimpleNamespace(staff_id=9, staff_pseudonym="S-OTHER9")
    wrong_country = decide_assignment(catalogs, STAFF, person, None,
                                      staff_row(7, "S-AB12CD", country="MA"), None, "")
    assert wrong_country[0].action == "staff.refused" and isinstance(wrong_country[1], Refuse)
    taken = decide_assignment(catalogs, STAFF, person, held, staff_row(7, "S-AB12CD"),
                              other, "")
    assert isinstance(taken[-1], Refuse) and isinstance(taken[-1].error, CaseError)
    assert taken[-1].error.msg.params == {"person": "R-7KQ2MX9P", "holder": "S-OTHER9"}
    assert decide_assignment(catalogs, STAFF, person, SimpleNamespace(staff_id=7), staff_row(
        7, "S-AB12CD"), None, "me") == ()
    mine = decide_assignment(catalogs, STAFF, person, None, staff_row(7, "S-AB12CD"), None, "")
    assert mine[0] == Assign(3, 7, "S-AB12CD", "staff:S-AB12CD", "manual")
    assert [type(c) for c in mine] == [Assign, Audit]  # no word to themselves
    handed = decide_assignment(catalogs, LEAD, person, held, staff_row(7, "S-AB12CD"), other,
                               "S-AB12CD")
    assert handed[0] == Assign(3, 7, "S-AB12CD", "staff:S-LEAD01", "handover")
    assert [c.chat_id for c in handed if isinstance(c, Send)] == ["907", "909"]
    assert handed[-1].details == {"to": "S-AB12CD", "reason": "handover"}
    quiet = handover(catalogs, person, staff_row(7, "S-AB12CD"), by="participant:R",
                     reason="preference", old=staff_row(9, "S-OTHER9", active=False))
    assert [c.chat_id for c in quiet if isinstance(c, Send)] == ["907"]


def test_a_plan_answer_counts_only_for_the_latest_version() -> None:
    person = SimpleNamespace(id=3, pseudonym="R-7KQ2MX9P", country="GM")
    assert decide_plan_answer(person, SimpleNamespace(version=3), 2, True) == ()
    assert decide_plan_answer(person, None, 2, True) == ()
    consent, record, answered, notice = decide_plan_answer(
        person, SimpleNamespace(version=2), 2, False)
    assert consent == SetPlanConsent(3, 2, "declined")
    assert record == RecordConsent(person, "plan", "plan-v2", False)
    assert answered == AnswerQuestion(3, "plan_consent", 2)
    assert isinstance(notice, NotifyTeam) and notice.participant_id == 3
    assert notice.parts[0].params == {"person": "R-7KQ2MX9P", "version": 2}


def test_progress_is_kept_and_stuck_reaches_the_team() -> None:
    person = SimpleNamespace(id=3, pseudonym="R-7KQ2MX9P", country="GM")
    assert decide_progress(person, None, 1, "a1", "nonsense", None) == ()
    assert decide_progress(person, None, 1, "a1", "well", "fine") == (
        AddProgress(3, 1, "a1", "well", "fine"),)
    kept, notice = decide_progress(person, None, 1, "a1", "stuck", "")
    assert kept == AddProgress(3, 1, "a1", "stuck", None)
    assert notice.parts[0].params["activity"] == "a1"


def test_a_referral_answer_is_decided_from_the_row_read() -> None:
    person = SimpleNamespace(id=3, pseudonym="R-7KQ2MX9P", country="GM")
    row = SimpleNamespace(id=4, participant_id=3, provider_name="Office", service="work",
                          provider_ref="P1", shared=["need"], status="proposed")
    yes = AnswerReferral(referral_id=4, consent=True)
    assert decide_referral_answer(person, None, yes, 30, NOW) == ()
    assert decide_referral_answer(SimpleNamespace(id=5, pseudonym="R-OTHER000"), row, yes,
                                  30, NOW) == ()
    update, consent, answered, ask, notice = decide_referral_answer(person, row, yes, 30, NOW)
    assert update.values["status"] == "made" and update.values["ask_at"] == datetime(
        2026, 3, 31, 9, 0)
    assert consent.purpose == "referral:P1" and consent.granted
    assert answered == AnswerQuestion(3, "referral_consent", 4)
    assert ask == AskQuestion(3, "referral_outcome", 4, datetime(2026, 3, 31, 9, 0))
    assert notice.parts[0].params["shared"] == "need"
    declined = decide_referral_answer(person, row, AnswerReferral(referral_id=4, consent=False),
                                      30, NOW)
    assert [type(c) for c in declined] == [UpdateReferral, RecordConsent, AnswerQuestion,
                                           NotifyTeam]
    made = SimpleNamespace(**{**vars(row), "status": "made"})
    helped = decide_referral_answer(person, made, AnswerReferral(
        referral_id=4, reached=True, helped="yes"), 30, NOW)
    assert [type(c) for c in helped] == [UpdateReferral, AnswerQuestion, Audit]
    assert helped[2] == Audit("participant:R-7KQ2MX9P", "referral.outcome", "R-7KQ2MX9P",
                              {"referral": 4, "reached": True, "helped": "yes"})
    missed = decide_referral_answer(person, made, AnswerReferral(referral_id=4, reached=False),
                                    30, NOW)
    assert isinstance(missed[-1], NotifyTeam)


def test_what_the_returnee_writes_in_a_handoff_goes_to_the_case_manager() -> None:
    person = SimpleNamespace(id=3, pseudonym="R-7KQ2MX9P")
    sent, kept = decide.relay_to_staff(STAFF, person, SimpleNamespace(id=5), "I need help")
    assert sent == Send("telegram", "900", "en", ("R-7KQ2MX9P: I need help",), about=3)
    assert kept == KeepHandoffMessage(5, 3, False, "I need help")
    assert decide.relay_to_staff(STAFF, person, None, "hi") == (
        Send("telegram", "900", "en", ("R-7KQ2MX9P: hi",), about=3),)
    copy = decide.copy_to_staff(STAFF, "300", "77", 3)
    assert (copy.kind, copy.payload, copy.about) == (
        "copy", {"from_chat_id": "300", "message_id": "77"}, 3)
