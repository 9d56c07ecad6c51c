"""Case management for the console: the same operations the Telegram staff commands run,
as functions taking a unit of work's connection, the engine's ``Casework`` and the staff
member acting (their id, as the console's login knows it), and returning plain dataclasses
(``case_views.py``). Each checks role and country scope and writes the audit log; a refusal
raises ``CaseError``, whose ``msg`` is the message to show (render it with the catalogs).

Run them inside ``Database.run`` like everything else, e.g.::

    loads = await database.run(api.team_caseloads, engine.casework, staff_id, now)

Queries
    caseload(conn, cw, staff_id, now, of="")        -> list[CaseloadEntry]
    team_caseloads(conn, cw, staff_id, now)         -> list[TeamLoad]
    assignments(conn, cw, staff_id, person, now)    -> list[AssignmentView]
    plan_versions(conn, cw, staff_id, person, now)  -> list[PlanVersionView]
    sessions(conn, cw, staff_id, person, now)       -> list[SessionView]
    monitoring(conn, cw, staff_id, person, now)     -> MonitoringDates
    referrals(conn, cw, staff_id, person, now)      -> list[ReferralView]
    unmet_needs(conn, cw, staff_id, person, now)    -> list[UnmetNeedView]
    plan_progress(conn, cw, staff_id, person, now)  -> list[ProgressView]
    directory(conn, cw, staff_id, now)              -> list[ProviderView]
    referral_slip(conn, cw, staff_id, referral_id, now) -> dict (only what consent covers)

Commands
    assign(conn, cw, staff_id, person, target, now) -> AssignmentView  ("", "auto", "S-…")
    record_session(conn, cw, staff_id, person, kind, mode, held_on, note, now) -> SessionView
    save_plan_version(conn, cw, staff_id, person, change, now) -> PlanVersionView
        (``change``: a ``PlanChange``, or its lines as text, see ``plan.py``)
    add_provider(conn, cw, staff_id, name, services, contact, now) -> ProviderView
    refer(conn, cw, staff_id, person, provider_ref, service, shared, note, now)
        -> ReferralView
    record_unmet_need(conn, cw, staff_id, person, service, note, now) -> UnmetNeedView
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flows.casework.case_base import CaseError
from flows.casework.case_views import (
    AssignmentView,
    CaseloadEntry,
    MonitoringDates,
    PlanVersionView,
    ProgressView,
    ProviderView,
    ReferralView,
    SessionView,
    TeamLoad,
    UnmetNeedView,
)
from flows.casework.casework import Casework
from flows.casework.plan import PlanChange
from flows.casework.staff import StaffView
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

__all__ = ["CaseError", "add_provider", "assign", "assignments", "caseload", "directory",
           "monitoring", "plan_progress", "plan_versions", "record_session",
           "record_unmet_need", "refer", "referral_slip", "referrals", "save_plan_version",
           "sessions", "team_caseloads", "unmet_needs"]


def _staff(conn: Connection, cw: Casework, staff_id: int) -> StaffView:
    row = store.staff_by_id(conn, staff_id)
    if row is None or not row.active:
        raise CaseError(N_("Sorry, that is not allowed."))
    return StaffView.of(row, cw.catalogs)


def caseload(conn: Connection, cw: Casework, staff_id: int, now: datetime, of: str = ""
             ) -> list[CaseloadEntry]:
    return cw.caseload_of(conn, _staff(conn, cw, staff_id), of, now)


def team_caseloads(conn: Connection, cw: Casework, staff_id: int, now: datetime
                   ) -> list[TeamLoad]:
    return cw.team_loads(conn, _staff(conn, cw, staff_id), now)


def assignments(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
                ) -> list[AssignmentView]:
    return cw.assignment_history(conn, _staff(conn, cw, staff_id), person, now)


def plan_versions(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
                  ) -> list[PlanVersionView]:
    return cw.plan_versions(conn, _staff(conn, cw, staff_id), person, now)


def sessions(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
             ) -> list[SessionView]:
    return cw.sessions_of(conn, _staff(conn, cw, staff_id), person, now)


def monitoring(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
               ) -> MonitoringDates:
    staff = _staff(conn, cw, staff_id)
    return cw.monitoring_of(conn, cw.person_in_scope(conn, staff, person, "monitoring", now))


def referrals(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
              ) -> list[ReferralView]:
    return cw.referrals_of(conn, _staff(conn, cw, staff_id), person, now)


def unmet_needs(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
                ) -> list[UnmetNeedView]:
    return cw.unmet_needs_of(conn, _staff(conn, cw, staff_id), person, now)


def plan_progress(conn: Connection, cw: Casework, staff_id: int, person: str, now: datetime
                  ) -> list[ProgressView]:
    return cw.plan_progress(conn, _staff(conn, cw, staff_id), person, now)


def directory(conn: Connection, cw: Casework, staff_id: int, now: datetime
              ) -> list[ProviderView]:
    return cw.directory(conn, _staff(conn, cw, staff_id).country)


def referral_slip(conn: Connection, cw: Casework, staff_id: int, referral_id: int,
                  now: datetime) -> dict[str, Any]:
    return cw.referral_slip(conn, _staff(conn, cw, staff_id), referral_id, now)


def assign(conn: Connection, cw: Casework, staff_id: int, person: str, target: str,
           now: datetime) -> AssignmentView:
    return cw.assign_case(conn, _staff(conn, cw, staff_id), person, target, now)


def record_session(conn: Connection, cw: Casework, staff_id: int, person: str, kind: str,
                   mode: str, held_on: date, note: str | None, now: datetime) -> SessionView:
    return cw.record_session(conn, _staff(conn, cw, staff_id), person, kind, mode, held_on,
                             note, now)


def save_plan_version(conn: Connection, cw: Casework, staff_id: int, person: str,
                      change: PlanChange | str, now: datetime) -> PlanVersionView:
    return cw.save_plan_version(conn, _staff(conn, cw, staff_id), person, change, now)


def add_provider(conn: Connection, cw: Casework, staff_id: int, name: str,
                 services: list[str], contact: str, now: datetime) -> ProviderView:
    return cw.add_provider(conn, _staff(conn, cw, staff_id), name, services, contact, now)


def refer(conn: Connection, cw: Casework, staff_id: int, person: str, provider_ref: str,
          service: str, shared: tuple[str, ...], note: str | None, now: datetime
          ) -> ReferralView:
    return cw.refer(conn, _staff(conn, cw, staff_id), person, provider_ref, service, shared,
                    note, now)


def record_unmet_need(conn: Connection, cw: Casework, staff_id: int, person: str,
                      service: str, note: str | None, now: datetime) -> UnmetNeedView:
    return cw.record_unmet(conn, _staff(conn, cw, staff_id), person, service, note, now)
