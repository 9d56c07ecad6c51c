"""Case management in the console: the case manager assigned, the reintegration plan and
its versions, sessions held and the monitoring dates, referrals with consent and outcome,
unmet needs; the caseloads page and the provider directory.

Thin pages over ``flows/casework/api.py``: every read and every form is one call there
(which checks role and country scope and writes the audit log), inside the console's unit
of work with the session and CSRF checks. A ``CaseError`` becomes the message shown after
the form; a returnee outside the staff member's scope is "not allowed", as for the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.app import Console, route
from flows.casework import api
from flows.casework.case_views import (
    AssignmentView,
    MonitoringDates,
    PlanVersionView,
    ProgressView,
    ProviderView,
    ReferralView,
    SessionView,
    TeamLoad,
    UnmetNeedView,
)
from flows.casework.login import Session
from flows.casework.plan import (
    ASSISTANCE,
    ASSISTANCE_TYPES,
    DIMENSIONS,
    MAX_WORDS,
    Activity,
    Plan,
    PlanChange,
    PlanError,
)
from flows.casework.plan_text import ASSISTANCE_NAMES, DIMENSION_NAMES
from flows.casework.sessions import SESSION_KINDS, SESSION_MODES
from flows.casework.vocabulary import REFERRAL_STATUS_NAMES as STATUS_NAMES
from flows.casework.vocabulary import SERVICE_NAMES, SESSION_NAMES, SHARED_NAMES
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from storage.db import Connection

NEW_ACTIVITY_ROWS = 2  # empty rows for new activities under each dimension's own
MODE_NAMES = {"in_person": N_("in person"), "phone": N_("by phone"), "online": N_("online"),
              "chat": N_("in the chat")}
PROGRESS_NAMES = {"well": N_("going well"), "slowly": N_("going slowly"), "stuck": N_("stuck"),
                  "not_started": N_("not started"), "note": N_("a note")}
REASON_NAMES = {"manual": N_("assigned"), "preference": N_("their wish"),
                "handover": N_("handover")}


@dataclass(frozen=True, slots=True)
class CaseFile:
    """Everything of case management the case page shows, each from the API."""

    assignments: list[AssignmentView]
    team: list[TeamLoad]  # who may hold the case (the person's country)
    versions: list[PlanVersionView]
    progress: list[ProgressView]
    sessions: list[SessionView]
    monitoring: MonitoringDates
    referrals: list[ReferralView]
    directory: list[ProviderView]
    unmet: list[UnmetNeedView]

    @property
    def current(self) -> PlanVersionView | None:
        return self.versions[-1] if self.versions else None

    @property
    def plan(self) -> Plan:
        return self.current.plan if self.current else Plan()

    @property
    def holder(self) -> AssignmentView | None:
        return next((a for a in reversed(self.assignments) if a.ended_at is None), None)


def gather(c: Console, conn: Connection, s: Session, person: Any, now: datetime
           ) -> CaseFile | None:
    """The case file of ``person`` (a participant row the case page already checked), or
    None when case management does not hold them yet (not through onboarding)."""
    cw, me, ref = c.casework, s.staff.id, person.pseudonym
    try:
        team = [t for t in api.team_caseloads(conn, cw, me, now)
                if t.country == person.country]
        # The directory of the person's country (an admin has no country of their own).
        directory = (api.directory(conn, cw, me, now) if s.staff.country
                     else cw.directory(conn, person.country))
        return CaseFile(
            assignments=api.assignments(conn, cw, me, ref, now), team=team,
            versions=api.plan_versions(conn, cw, me, ref, now),
            progress=api.plan_progress(conn, cw, me, ref, now),
            sessions=api.sessions(conn, cw, me, ref, now),
            monitoring=api.monitoring(conn, cw, me, ref, now),
            referrals=api.referrals(conn, cw, me, ref, now), directory=directory,
            unmet=api.unmet_needs(conn, cw, me, ref, now))
    except api.CaseError:
        return None


def labels() -> dict[str, Any]:
    """The vocabularies the templates show (msgids; the template translates them)."""
    return {"dimension_names": DIMENSION_NAMES, "dimensions": DIMENSIONS,
            "assistance_names": ASSISTANCE_NAMES, "session_names": SESSION_NAMES,
            "session_kinds": SESSION_KINDS, "session_modes": SESSION_MODES,
            "mode_names": MODE_NAMES, "service_names": SERVICE_NAMES,
            "shared_names": SHARED_NAMES, "status_names": STATUS_NAMES,
            "progress_names": PROGRESS_NAMES, "reason_names": REASON_NAMES,
            "assistance_for": {d: (*ASSISTANCE[d], *ASSISTANCE["immediate"], "other")
                               for d in DIMENSIONS},
            "new_rows": NEW_ACTIVITY_ROWS}


# The plan form --------------------------------------------------------------------------


def _day(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PlanError(field, N_("Write the date as YYYY-MM-DD.")) from None


def _cost(value: str, field: str) -> float | None:
    value = value.strip().replace(" ", "").replace(",", ".")
    if not value:
        return None
    try:
        cost = float(value)
    except ValueError:
        raise PlanError(field, N_("Write the cost as a number, e.g. 450.")) from None
    if cost < 0:
        raise PlanError(field, N_("Write the cost as a number, e.g. 450."))
    return cost


def plan_change(form: FormData, current: Plan) -> PlanChange:
    """What the form changes in ``current``: only the fields that differ, so that the
    person's own words stay theirs unless someone rewrote them."""
    change = PlanChange()
    for name in DIMENSIONS:
        d = current.dimension(name)
        objectives = str(form.get(f"{name}_objectives", "")).strip()[:MAX_WORDS]
        if objectives != d.objectives:
            change.objectives[name] = objectives
        activities = []
        for i in range(len(d.activities) + NEW_ACTIVITY_ROWS):
            what = str(form.get(f"{name}_what_{i}", "")).strip()
            if what:
                activities.append(Activity(
                    what[:MAX_WORDS], str(form.get(f"{name}_who_{i}", "")).strip()[:200],
                    _day(str(form.get(f"{name}_by_{i}", "")), f"{name}_by_{i}")))
        if tuple(activities) != d.activities:
            change.clear_activities.add(name)
            change.add_activities[name] = activities
        assistance = tuple(t for t in form.getlist(f"{name}_assistance")
                           if isinstance(t, str) and t in ASSISTANCE_TYPES)
        if assistance != d.assistance:
            change.assistance[name] = assistance
        cost = _cost(str(form.get(f"{name}_cost", "")), f"{name}_cost")
        if cost != d.cost:
            change.cost[name] = cost
        referral = {"yes": True, "no": False}.get(str(form.get(f"{name}_referral", "")))
        if referral != d.referral_needed:
            change.referral_needed[name] = referral
    exit_strategy = str(form.get("exit_strategy", "")).strip()[:MAX_WORDS]
    if exit_strategy != current.exit_strategy:
        change.exit_strategy = exit_strategy
    agreed = _day(str(form.get("plan_date", "")), "plan_date")
    if agreed is not None and agreed != current.plan_date:
        change.plan_date = agreed
    return change


# Routes ---------------------------------------------------------------------------------


def routes(c: Console) -> list[Route]:
    async def on_case(request: Request, action: str,
                      fn: Callable[[Connection, Session, datetime, str, FormData], Msg]
                      ) -> Response:
        """A form on the case page: in scope (else "not allowed"), then ``fn``; what it
        says, or the refusal's words, are shown back on the case."""
        form = await request.form()
        pseudonym = request.path_params["person"].upper()[:20]

        def run(conn: Connection, s: Session, now: datetime) -> Msg | None:
            try:
                c.casework.person_in_scope(conn, s.staff, pseudonym, action, now)
            except api.CaseError:
                return None
            try:
                return fn(conn, s, now, pseudonym, form)
            except api.CaseError as refused:
                return refused.msg
            except PlanError as bad:
                return Msg(bad.hint, bad.params)

        session, message = await c.unit(request, run, csrf=str(form.get("csrf", "")))
        if message is None:
            return c.refused(request, session)
        return c.back(request, f"/case/{pseudonym}", session, message)

    def text(form: FormData, name: str, limit: int = 4000) -> str:
        return str(form.get(name, "")).strip()[:limit]

    def assign(conn: Connection, s: Session, now: datetime, person: str, form: FormData
               ) -> Msg:
        target = text(form, "target", 20)
        done = api.assign(conn, c.casework, s.staff.id, person, target, now)
        return Msg(N_("{person} is now with {colleague}."),
                   {"person": person, "colleague": done.staff})

    def plan(conn: Connection, s: Session, now: datetime, person: str, form: FormData) -> Msg:
        versions = api.plan_versions(conn, c.casework, s.staff.id, person, now)
        current = versions[-1] if versions else None
        if current is not None and str(form.get("version", "")) != str(current.version):
            return Msg(N_("The plan changed while you were writing: version {version} is "
                          "shown now. Please make your change again."),
                       {"version": current.version})
        change = plan_change(form, current.plan if current else Plan())
        if change.empty:
            return Msg(N_("Nothing was changed."))
        saved = api.save_plan_version(conn, c.casework, s.staff.id, person, change, now)
        return Msg(N_("Version {version} of the plan saved. {person} will be asked whether "
                      "they agree."), {"version": saved.version, "person": person})

    def session(conn: Connection, s: Session, now: datetime, person: str, form: FormData
                ) -> Msg:
        try:
            held_on = date.fromisoformat(text(form, "held_on", 10)) if text(
                form, "held_on") else now.date()
        except ValueError:
            return Msg(N_("Write the date as YYYY-MM-DD."))
        done = api.record_session(conn, c.casework, s.staff.id, person, text(form, "kind", 20),
                                  text(form, "mode", 20), held_on, text(form, "note"), now)
        return Msg(N_("Session recorded: {kind}, {date}."),
                   {"kind": Msg(SESSION_NAMES.get(done.kind, done.kind)),
                    "date": done.held_on.isoformat()})

    def refer(conn: Connection, s: Session, now: datetime, person: str, form: FormData) -> Msg:
        shared = tuple(str(v) for v in form.getlist("shared"))[:len(SHARED_NAMES)]
        done = api.refer(conn, c.casework, s.staff.id, person, text(form, "provider", 12),
                         text(form, "service", 20), shared, text(form, "note", 2000), now)
        return Msg(N_("Referral to {provider} proposed: {person} is asked first whether they "
                      "agree, and nothing is shared before they do."),
                   {"provider": done.provider, "person": person})

    def unmet(conn: Connection, s: Session, now: datetime, person: str, form: FormData) -> Msg:
        api.record_unmet_need(conn, c.casework, s.staff.id, person, text(form, "service", 20),
                              text(form, "note", 2000), now)
        return Msg(N_("Unmet need recorded."))

    def on(action: str, fn: Callable[..., Msg]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await on_case(request, action, fn)
        return endpoint

    async def slip(request: Request) -> Response:
        referral = request.path_params["id"]

        def run(conn: Connection, s: Session, now: datetime) -> dict[str, Any] | None:
            try:
                return api.referral_slip(conn, c.casework, s.staff.id, referral, now)
            except api.CaseError:
                return None

        session, data = await c.unit(request, run)
        if data is None:
            return c.refused(request, session)
        return c.page(request, "slip.html", session, slip=data, referral=referral,
                      **labels())

    async def caseloads(request: Request) -> Response:
        of = request.query_params.get("of", "")[:20]

        def run(conn: Connection, s: Session, now: datetime) -> Any:
            try:
                return (api.team_caseloads(conn, c.casework, s.staff.id, now),
                        api.caseload(conn, c.casework, s.staff.id, now, of))
            except api.CaseError:
                return None

        session, found = await c.unit(request, run)
        if found is None:
            return c.refused(request, session)
        team, held = found
        countries: dict[str, list[TeamLoad]] = {}
        for load in team:
            countries.setdefault(load.country or "—", []).append(load)
        return c.page(request, "caseloads.html", session, countries=countries, held=held,
                      of=of or session.staff.pseudonym)

    async def providers(request: Request) -> Response:
        country = request.query_params.get("country", "").upper()[:2]

        def run(conn: Connection, s: Session, now: datetime) -> list[ProviderView]:
            if s.staff.country or not country:
                return api.directory(conn, c.casework, s.staff.id, now)
            return c.casework.directory(conn, country)  # an admin looking at a country

        session, listed = await c.unit(request, run)
        return c.page(request, "providers.html", session, providers=listed,
                      country=session.staff.country or country, **labels())

    async def add_provider(request: Request) -> Response:
        form = await request.form()

        def run(conn: Connection, s: Session, now: datetime) -> Msg:
            services = [str(v) for v in form.getlist("services")][:len(SERVICE_NAMES)]
            try:
                done = api.add_provider(conn, c.casework, s.staff.id,
                                        str(form.get("name", ""))[:200], services,
                                        str(form.get("contact", ""))[:200], now)
            except api.CaseError:
                return Msg(N_("Give the provider a name and at least one service."))
            return Msg(N_("Provider {ref} added to the directory."), {"ref": done.ref})

        session, message = await c.unit(request, run, csrf=str(form.get("csrf", "")))
        return c.back(request, "/providers", session, message)

    return [
        route("/case/{person}/assign", on("assign", assign), ["POST"]),
        route("/case/{person}/plan", on("plan", plan), ["POST"]),
        route("/case/{person}/sessions", on("session", session), ["POST"]),
        route("/case/{person}/referrals", on("refer", refer), ["POST"]),
        route("/case/{person}/unmet", on("unmet", unmet), ["POST"]),
        route("/referrals/{id:int}/slip", slip), route("/caseloads", caseloads),
        route("/providers", providers), route("/providers", add_provider, ["POST"]),
    ]
