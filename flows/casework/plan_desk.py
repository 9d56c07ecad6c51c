"""The reintegration plan on the case manager's side, and the returnee's answers about it.

Drafted with the returnee in chat (their objectives, as in the first session's step 5),
completed by the case manager (/plan in Telegram, or the console calling
``save_plan_version``). Each change is a new version with who made it; when the case
manager changes the plan, the person is asked again whether they agree (handbook §2.3.2:
consent updated each time the plan is amended), as soon as they are free.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.casework.case_base import CaseError
from flows.casework.case_views import PlanVersionView, ProgressView
from flows.casework.changes import (
    AddProgress,
    AnswerQuestion,
    Changes,
    NotifyTeam,
    RecordConsent,
    SetPlanConsent,
)
from flows.casework.plan import Plan, PlanChange, PlanError, parse_lines
from flows.casework.plan_text import plan_message
from flows.casework.sessions import Sessions
from flows.casework.staff import StaffView
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

PLAN_CONSENT = "plan_consent"  # the question "do you agree with this version?"
PROGRESS_STATUSES = ("well", "slowly", "stuck", "not_started", "note")


def _version(person: str, row: Any) -> PlanVersionView:
    return PlanVersionView(person, row.version, Plan.from_json(row.content), row.author,
                           row.created_at, row.consent, row.consent_at)


class PlanDesk(Sessions):
    """Save, show and answer versions of the plan."""

    def save_plan_version(self, conn: Connection, staff: StaffView, reference: str,
                          change: PlanChange | str, now: datetime) -> PlanVersionView:
        """A new version from the current one and ``change`` (or the lines of one); the
        person is then asked whether they agree."""
        person = self.person_in_scope(conn, staff, reference, "plan", now)
        if isinstance(change, str):
            try:
                change = parse_lines(change)
            except PlanError as bad:
                raise CaseError(N_("This line could not be read:\n{line}\n{hint}"),
                                line=bad.line, hint=Msg(bad.hint, bad.params)) from None
        if change.empty:
            raise CaseError(PLAN_USAGE)
        version = self._new_version(conn, person, change.apply(self._current(conn, person)),
                                    author=f"staff:{staff.pseudonym}", consent=None, now=now)
        self._audit(conn, staff, "plan.version_saved", now, person.pseudonym, version=version)
        store.cancel_questions(conn, person.id, PLAN_CONSENT)
        store.add_question(conn, person.id, PLAN_CONSENT, version, now)
        if change.plan_date is not None and store.plan_date(conn, person.id) is None:
            self.anchor_plan_date(conn, person, change.plan_date, now)
        row = store.current_plan(conn, person.id)
        assert row is not None
        return _version(person.pseudonym, row)

    def _current(self, conn: Connection, person: store.ParticipantRecord) -> Plan:
        row = store.current_plan(conn, person.id)
        return Plan.from_json(row.content) if row is not None else Plan()

    def _new_version(self, conn: Connection, person: store.ParticipantRecord, plan: Plan, *,
                     author: str, consent: str | None, now: datetime) -> int:
        """Saved with the survey's baseline (the first complete survey), where known."""
        surveys = store.completed_surveys(conn, person.id)
        if surveys:
            first = surveys[0]
            plan = plan.with_baseline({"economic": first.economic, "social": first.social,
                                       "psychosocial": first.psychosocial,
                                       "composite": first.composite})
        return store.add_plan_version(conn, person.id, content=plan.to_json(),
                                        plan_date=plan.plan_date, author=author,
                                        consent=consent, now=now)

    def plan_versions(self, conn: Connection, staff: StaffView, reference: str,
                      now: datetime) -> list[PlanVersionView]:
        """Every version of the person's plan, oldest first."""
        person = self.person_in_scope(conn, staff, reference, "plan", now)
        self._audit(conn, staff, "plan.viewed", now, person.pseudonym)
        return [_version(person.pseudonym, r) for r in store.plan_versions(conn, person.id)]

    def plan_progress(self, conn: Connection, staff: StaffView, reference: str,
                      now: datetime) -> list[ProgressView]:
        """What the person said of their activities at check-ins, oldest first."""
        person = self.person_in_scope(conn, staff, reference, "plan", now)
        row = store.current_plan(conn, person.id)
        plan = Plan.from_json(row.content) if row is not None else Plan()
        self._audit(conn, staff, "plan.progress_viewed", now, person.pseudonym)
        return [ProgressView(p.at, p.plan_version, p.activity,
                             step.what if (step := plan.activity(p.activity)) else None,
                             p.status, p.note) for p in store.progress_of(conn, person.id)]

    # What the returnee answers (effects of the plan flow) --------------------------------

    def plan_drafted(self, conn: Connection, person: store.ParticipantRecord,
                     objectives: dict[str, str], now: datetime) -> int:
        """Their objectives, in their words: a version of their own (agreed by them)."""
        version = self._new_version(conn, person,
                                    self._current(conn, person).with_objectives(objectives),
                                    author="participant", consent="agreed", now=now)
        store.audit(conn, now, actor=f"participant:{person.pseudonym}",
                   action="plan.objectives_written", subject=person.pseudonym,
                   details={"version": version})
        self.notify_team(conn, person, [Msg(N_(
            "{person} wrote their objectives for the reintegration plan (version {version}). "
            "/plan {person} shows it; complete it with them."),
            {"person": person.pseudonym, "version": version})], now)
        return version

    def answer_plan(self, conn: Connection, person: store.ParticipantRecord, version: int,
                    agreed: bool, now: datetime) -> None:
        self.apply(conn, decide_plan_answer(person, store.current_plan(conn, person.id),
                                            version, agreed), now)

    def record_progress(self, conn: Connection, person: store.ParticipantRecord, version: int,
                        activity: str, status: str, note: str | None, now: datetime) -> None:
        """The answer is kept beside the activity; "stuck" reaches the case manager."""
        current = store.current_plan(conn, person.id) if status == "stuck" else None
        self.apply(conn, decide_progress(person, current, version, activity, status, note),
                   now)

    # Telegram -------------------------------------------------------------------------

    def _cmd_plan(self, conn: Connection, staff: StaffView, args: str, now: datetime) -> None:
        reference, _, lines = args.strip().partition("\n")
        reference, _, rest = reference.strip().partition(" ")
        lines = f"{rest}\n{lines}".strip()
        if not reference:
            raise CaseError(PLAN_USAGE)
        if lines == "versions":
            found = self.plan_versions(conn, staff, reference, now)
            self._reply(conn, staff, now, N_("Versions of the plan of {person}:\n{lines}"),
                        person=reference.upper(), lines="\n".join(
                            f"v{v.version} {v.created_at:%Y-%m-%d} {v.author} "
                            f"{v.consent or '-'}" for v in found) or "-")
            return
        if lines:
            saved = self.save_plan_version(conn, staff, reference, lines, now)
            self._reply(conn, staff, now, N_("Version {version} of the plan saved. {person} "
                                             "will be asked whether they agree."),
                        version=saved.version, person=saved.person)
        self._show_plan(conn, staff, reference, now)

    def _show_plan(self, conn: Connection, staff: StaffView, reference: str,
                   now: datetime) -> None:
        person = self.person_in_scope(conn, staff, reference, "plan", now)
        row = store.current_plan(conn, person.id)
        self._audit(conn, staff, "plan.viewed", now, person.pseudonym)
        if row is None:
            self._reply(conn, staff, now, N_("{person} has no plan yet.\n\n{usage}"),
                        person=person.pseudonym, usage=Msg(PLAN_USAGE), about=person.id)
            return
        plan = Plan.from_json(row.content)
        parts: list[Msg | str] = [plan_message(plan, row.version, staff.locale, person.country,
                                               staff=True, author=row.author,
                                               consent=row.consent)]
        progress = store.progress_of(conn, person.id)
        if progress:
            parts.append(Msg(N_("How the activities are going, in their words:")))
            for p in progress[-8:]:
                step = plan.activity(p.activity)
                parts.append(f"{p.at:%Y-%m-%d} \u201c{step.what if step else p.activity}\u201d: "
                             f"{p.status}{' — “' + p.note + '”' if p.note else ''}")
        self.send(conn, staff.channel, staff.chat_id, staff.locale, parts, now,
                  about=person.id)


def decide_plan_answer(person: Any, current: Any | None, version: int, agreed: bool
                       ) -> Changes:
    """The returnee's yes or no to a version of their plan (``current``: the latest);
    pure."""
    if current is None or current.version != version:
        return ()  # an answer to a version since replaced: the newer one is asked
    return (SetPlanConsent(person.id, version, "agreed" if agreed else "declined"),
            RecordConsent(person, "plan", f"plan-v{version}", agreed),
            AnswerQuestion(person.id, PLAN_CONSENT, version),
            NotifyTeam(person.id, person.country, (Msg(
                N_("{person} agreed to version {version} of their plan.") if agreed else
                N_("{person} would like to talk about version {version} of their plan before "
                   "agreeing."), {"person": person.pseudonym, "version": version}),)))


def decide_progress(person: Any, current: Any | None, version: int, activity: str,
                    status: str, note: str | None) -> Changes:
    """What the returnee said of an activity (``current``: the latest plan, read when the
    activity is stuck); pure."""
    if status not in PROGRESS_STATUSES:
        return ()
    kept = AddProgress(person.id, version, activity[:32], status, (note or "")[:2000] or None)
    if status != "stuck":
        return (kept,)
    step = Plan.from_json(current.content).activity(activity) if current else None
    return (kept, NotifyTeam(person.id, person.country, (Msg(N_(
        "{person} says an activity of their plan is stuck: \u201c{activity}\u201d."),
        {"person": person.pseudonym, "activity": step.what if step else activity}),)))


PLAN_USAGE = N_(
    "Use /plan PERSON to see the plan, /plan PERSON versions for its history, or /plan PERSON "
    "and then one change per line, e.g.\n"
    "economic objective: …\n"
    "economic activity: WHAT | WHO | BY (YYYY-MM-DD)\n"
    "economic assistance: microbusiness, vocational_training\n"
    "economic cost: 450\n"
    "economic referral: yes\n"
    "social activities: none\n"
    "exit: how case management will end\n"
    "date: YYYY-MM-DD (when the plan was agreed)")
