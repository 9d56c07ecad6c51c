"""Where casework's changes are written: one function, in the unit of work it is given, in
the order the decision listed them. The engine's ``apply.py`` is the same step for what a
returnee's turn decides; this one is for what staff do (and what alerts send).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flows.casework.changes import (
    Acknowledge,
    AddProgress,
    AnswerQuestion,
    AskQuestion,
    Assign,
    Audit,
    Change,
    Claim,
    Condition,
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
from flows.casework.recipients import notice_recipients
from flows.casework.staff import StaffView
from flows.l10n.i18n import Catalogs
from storage import casestore as store
from storage.casestore import Connection


def apply_changes(conn: Connection, catalogs: Catalogs, changes: tuple[Change, ...],
                  now: datetime) -> list[bool]:
    """Write ``changes`` (a ``Refuse`` raises its error there); returns whether each
    conditional write held, in the order they were met (a ``Guarded`` inside another
    counts after it)."""
    held: list[bool] = []
    for change in changes:
        _write(conn, catalogs, change, now, held)
    return held


def _write(conn: Connection, catalogs: Catalogs, change: Change, now: datetime,
           held: list[bool]) -> None:
    match change:
        case Send():
            text = "\n\n".join(catalogs.render(change.locale, part) for part in change.parts)
            store.add_outbox(conn, participant_id=change.participant_id,
                             channel=change.channel, chat_id=change.chat_id,
                             payload={"text": text, "locale": change.locale,
                                      "buttons": catalogs.render_buttons(change.locale,
                                                                         change.buttons)},
                             now=now, priority=change.priority, about_id=change.about,
                             bundle=change.bundle, watch=change.watch)
        case Outbox():
            store.add_outbox(conn, participant_id=change.participant_id,
                             channel=change.channel, chat_id=change.chat_id,
                             kind=change.kind, payload=change.payload, now=now,
                             priority=change.priority, about_id=change.about)
        case Audit():
            store.audit(conn, now, actor=change.actor, action=change.action,
                        subject=change.subject, details=change.details)
        case SetPending():
            store.set_pending(conn, change.staff_id, change.pending)
        case EndHandoff():
            store.end_handoff(conn, change.handoff_id, now)
        case KeepHandoffMessage():
            store.add_handoff_message(conn, handoff_id=change.handoff_id,
                                      participant_id=change.participant_id,
                                      from_staff=change.from_staff, text=change.text, now=now)
        case EndChatsOf():
            for handoff in store.end_handoffs_of_escalation(conn, change.escalation_id, now):
                _write(conn, catalogs, replace(change.tell,
                                               participant_id=handoff.participant_id),
                       now, held)
        case Assign():
            store.assign(conn, change.participant_id, staff_id=change.staff_id,
                         staff_pseudonym=change.staff_pseudonym, by=change.by,
                         reason=change.reason, now=now)
        case NotifyTeam():
            for row in notice_recipients(conn, change.participant_id, change.country):
                staff = StaffView.of(row, catalogs)
                _write(conn, catalogs, Send(staff.channel, staff.chat_id, staff.locale,
                                            change.parts, priority=change.priority,
                                            about=change.participant_id), now, held)
        case AskQuestion():
            store.add_question(conn, change.participant_id, change.kind, change.ref_id,
                               change.due_at)
        case AnswerQuestion():
            store.answer_question(conn, change.participant_id, change.kind, change.ref_id)
        case RecordConsent():
            store.record_consent(conn, change.person, change.purpose, change.version,
                                 change.granted, now)
        case SetPlanConsent():
            store.set_plan_consent(conn, change.participant_id, change.version,
                                   change.consent, now)
        case AddProgress():
            store.add_progress(conn, participant_id=change.participant_id,
                               plan_version=change.plan_version, activity=change.activity,
                               status=change.status, note=change.note, now=now)
        case UpdateReferral():
            store.update_referral(conn, change.referral_id, **change.values)
        case Refuse():
            raise change.error
        case Guarded():
            ok = _condition(conn, change.write, now)
            held.append(ok)
            for then in change.then if ok else change.otherwise:
                _write(conn, catalogs, then, now, held)


def _condition(conn: Connection, write: Condition, now: datetime) -> bool:
    match write:
        case Acknowledge():
            return store.acknowledge(conn, write.escalation_id, write.staff_id, now)
        case Claim():
            return store.claim(conn, write.escalation_id, write.staff_id, now)
        case Resolve():
            return store.resolve(conn, write.escalation_id, write.note, now)
        case StartHandoff():
            return store.start_handoff(conn, participant_id=write.participant_id,
                                       staff_id=write.staff_id,
                                       escalation_id=write.escalation_id, now=now)
    raise TypeError(type(write).__name__)
