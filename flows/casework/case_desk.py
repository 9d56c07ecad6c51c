"""Case-management commands in Telegram, each a thin rendering of a casework method the
console calls too: /assign, /caseload, /gender, /session (and /plan, /provider, /refer,
/unmet in their own parts). A refusal (``CaseError``) is answered with what was wrong.
"""

from __future__ import annotations

from datetime import datetime

from flows.casework.assignment import Assignment
from flows.casework.case_base import CaseError
from flows.casework.sessions import Sessions, parse_session
from flows.casework.staff import StaffView
from flows.casework.vocabulary import SESSION_NAMES
from flows.engine.events import Event, Msg
from flows.l10n.i18n import N_
from storage.db import Connection


class CaseDesk(Assignment, Sessions):
    """Parses and answers the case-management commands."""

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
        self._reply(conn, staff, now, N_("Recorded. A returnee who asks for a {gender} case "
                                         "manager may be assigned to you.")
                    if chosen else N_("Recorded: no gender given."),
                    gender=Msg(N_("female") if chosen == "female" else N_("male")))

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
