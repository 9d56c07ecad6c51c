"""Case-management commands in Telegram, each a thin rendering of a casework method the
console calls too: /assign, /caseload, /gender, /session (and /plan, /provider, /refer,
/unmet in their own parts). A refusal (``CaseError``) is answered with what was wrong.
"""

from __future__ import annotations

from datetime import datetime

from flows.casework.assignment import Assignment
from flows.casework.case_base import CaseError
from flows.casework.plan_desk import PlanDesk
from flows.casework.referral_desk import ReferralDesk
from flows.casework.sessions import parse_session
from flows.casework.staff import StaffView
from flows.casework.vocabulary import SESSION_NAMES
from flows.engine.events import (
    AnswerPlan,
    AnswerReferral,
    CaseEffect,
    Effect,
    Event,
    Msg,
    PreferCaseManager,
    RecordActivityProgress,
    Reply,
    SavePlanObjectives,
)
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

PREFERENCE_OUTCOMES = {
    "cleared": N_("Noted: no preference."),
    "kept": N_("Noted. Your case manager already is as you asked."),
    "assigned": N_("Noted. A case manager as you asked will follow your case from now on."),
    "none": N_("Noted. The office has nobody like that just now; your wish is kept, and the "
               "team has been told."),
}


class CaseDesk(Assignment, PlanDesk, ReferralDesk):
    """Parses and answers the case-management commands, and writes what a returnee
    answers about their case (the effects of the plan and referral flows)."""

    def apply_case_effect(self, conn: Connection, person: store.ParticipantRecord,
                          effect: CaseEffect, now: datetime) -> list[Effect]:
        """Write one answer; returns what the person must be told of the outcome."""
        match effect:
            case SavePlanObjectives(objectives=objectives):
                self.plan_drafted(conn, person, objectives, now)
            case AnswerPlan(version=version, agreed=agreed):
                self.answer_plan(conn, person, version, agreed, now)
            case RecordActivityProgress():
                self.record_progress(conn, person, effect.version, effect.activity,
                                     effect.status, effect.note, now)
            case AnswerReferral():
                self.answer_referral(conn, person, effect, now)
            case PreferCaseManager(gender=gender):
                outcome = self.prefer_case_manager(conn, person, gender, now)
                return [Reply(Msg(PREFERENCE_OUTCOMES[outcome]))]
        return []

    def case_command(self, conn: Connection, staff: StaffView, event: Event,
                     now: datetime) -> None:
        handler = getattr(self, f"_cmd_{event.command}")
        try:
            handler(conn, staff, event.args, now)
        except CaseError as refused:
            self.send(conn, staff.channel, staff.chat_id, staff.locale, [refused.msg], now)

    def _cmd_assign(self, conn: Connection, staff: StaffView, args: str,
                    now: datetime) -> None:
        words = args.split()
        if not words or len(words) > 2:
            raise CaseError(N_("Use /assign PERSON (yourself), /assign PERSON S-XXXXXX, or "
                               "/assign PERSON auto."))
        done = self.assign_case(conn, staff, words[0], words[1] if len(words) > 1 else "",
                                now)
        self._reply(conn, staff, now, N_("{person} is now with {colleague}."),
                    person=done.person, colleague=done.staff)

    def _cmd_caseload(self, conn: Connection, staff: StaffView, args: str,
                      now: datetime) -> None:
        if args.strip() == "team":
            loads = self.team_loads(conn, staff, now)
            lines = "\n".join(f"{t.staff} {t.role} {t.country or '-'} "
                              f"{t.gender or ''}: {t.held}".replace("  ", " ") for t in loads)
            self._reply(conn, staff, now, N_("Caseloads of the team:\n{lines}"),
                        lines=lines or "-")
            return
        entries = self.caseload_of(conn, staff, args, now)
        lines = "\n".join(f"{e.person} {e.country or '-'} "
                          f"{e.return_date.isoformat() if e.return_date else '-'} "
                          f"{e.profile}" for e in entries)
        self._reply(conn, staff, now, N_("People you hold: {count}\n{lines}\n\n/caseload team "
                                         "for the whole team."),
                    count=len(entries), lines=lines or "-")

    def _cmd_gender(self, conn: Connection, staff: StaffView, args: str,
                    now: datetime) -> None:
        chosen = self.set_own_gender(conn, staff, args, now)
        self._reply(conn, staff, now, {
            "female": N_("Recorded. A returnee who asks for a woman as case manager may be "
                         "assigned to you."),
            "male": N_("Recorded. A returnee who asks for a man as case manager may be "
                       "assigned to you.")}.get(chosen or "", N_("Recorded: no gender given.")))

    def _cmd_session(self, conn: Connection, staff: StaffView, args: str,
                     now: datetime) -> None:
        reference, kind, mode, held_on, note = parse_session(args, now.date())
        done = self.record_session(conn, staff, reference, kind, mode, held_on, note, now)
        person = self.person_in_scope(conn, staff, reference, "session", now)
        dates = self.monitoring_of(conn, person)
        self._reply(conn, staff, now, N_("Session recorded: {session} with {person} on {date} "
                                         "({mode})."),
                    session=Msg(SESSION_NAMES.get(kind, N_("other session"))),
                    person=done.person, date=held_on.isoformat(), mode=mode)
        if dates.plan_date is not None and kind == "plan":
            self._reply(conn, staff, now, N_(
                "Plan agreed on {plan}: mid-term monitoring is due around {midterm}, final "
                "monitoring around {final}; follow-up until about {until}."),
                plan=dates.plan_date.isoformat(),
                midterm=dates.midterm_due.isoformat() if dates.midterm_due else "-",
                final=dates.final_due.isoformat() if dates.final_due else "-",
                until=dates.follow_up_until.isoformat() if dates.follow_up_until else "-")
