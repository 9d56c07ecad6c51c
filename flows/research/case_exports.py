"""Exports of case management, per country: plans (one row per version), referrals with
their consent and outcome, sessions held, unmet needs (for advocacy, handbook §2.3.2), and
the monitoring view (one row per returnee: the plan's dates, the monitoring they anchor,
and the sessions held). Every export is recorded in the audit log; plans and notes are
people's words, decrypted for the export.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flows.casework.plan import DIMENSIONS, Plan
from flows.followups.schedule import FOLLOW_UP_AFTER_PLAN, Kind, add_months, monitoring_dates
from flows.research.exports import PERSON_COLUMNS, _person
from storage import casefile as db
from storage import repository as repo
from storage.db import Connection

PLAN_COLUMNS = ["person", "country_of_origin", "version", "created_at", "author", "plan_date",
                "consent", "consent_at", "exit_strategy", "total_cost", "baseline_composite",
                *(f"{d}_{f}" for d in DIMENSIONS
                  for f in ("objectives", "activities", "assistance", "cost", "referral_needed",
                            "baseline"))]
REFERRAL_COLUMNS = ["referral_id", *PERSON_COLUMNS, "created_at", "provider_ref", "provider",
                    "service", "shared", "status", "consent_version", "consent_at",
                    "asked_after", "reached", "helped", "answered_at", "created_by"]
SESSION_COLUMNS = ["session_id", *PERSON_COLUMNS, "kind", "mode", "held_on", "note", "staff"]
UNMET_COLUMNS = ["recorded_at", "country", "service", "note"]
MONITORING_COLUMNS = [*PERSON_COLUMNS, "case_manager", "plan_date", "plan_versions",
                      "midterm_due", "final_due", "follow_up_until",
                      *(f"sessions_{k}" for k in ("plan", "wmodel", "survey", "midterm", "final",
                                                  "other")),
                      "last_midterm", "last_final"]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _audit(conn: Connection, now: datetime, what: str, rows: int, country: str | None,
           actor: str = "cli") -> None:
    repo.audit(conn, now, actor=actor, action=f"export.{what}",
               details={"rows": rows, "country": country})


def plan_rows(conn: Connection, country: str | None, since: date | None,
              now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    rows = []
    for row in db.plans_export(conn, country, since):
        plan = Plan.from_json(row.content)
        out: dict[str, Any] = {
            "person": row.pseudonym, "country_of_origin": row.person_country,
            "version": row.version, "created_at": _iso(row.created_at), "author": row.author,
            "plan_date": _iso(plan.plan_date), "consent": row.consent,
            "consent_at": _iso(row.consent_at), "exit_strategy": plan.exit_strategy or None,
            "total_cost": plan.total_cost, "baseline_composite": plan.baseline_composite}
        for name in DIMENSIONS:
            d = plan.dimension(name)
            out.update({
                f"{name}_objectives": d.objectives or None,
                f"{name}_activities": " | ".join(
                    f"{a.what} — {a.who or '-'} — {_iso(a.by) or '-'}" for a in d.activities)
                or None,
                f"{name}_assistance": ",".join(d.assistance) or None, f"{name}_cost": d.cost,
                f"{name}_referral_needed": d.referral_needed, f"{name}_baseline": d.baseline})
        rows.append(out)
    _audit(conn, now, "plans", len(rows), country, actor)
    return rows


def referral_rows(conn: Connection, country: str | None, since: date | None,
                  now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    rows = [{"referral_id": r.id, **_person(r), "created_at": _iso(r.created_at),
             "provider_ref": r.provider_ref, "provider": r.provider_name, "service": r.service,
             "shared": ",".join(r.shared or ()), "status": r.status,
             "consent_version": r.consent_version, "consent_at": _iso(r.consent_at),
             "asked_after": _iso(r.ask_at), "reached": r.reached, "helped": r.helped,
             "answered_at": _iso(r.answered_at), "created_by": r.created_by}
            for r in db.referrals_export(conn, country, since)]
    _audit(conn, now, "referrals", len(rows), country, actor)
    return rows


def session_rows(conn: Connection, country: str | None, since: date | None,
                 now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    rows = [{"session_id": r.id, **_person(r), "kind": r.kind, "mode": r.mode,
             "held_on": _iso(r.held_on), "note": r.note, "staff": r.staff_pseudonym}
            for r in db.sessions_export(conn, country, since)]
    _audit(conn, now, "sessions", len(rows), country, actor)
    return rows


def unmet_rows(conn: Connection, country: str | None, since: date | None,
               now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    """Not linked to the person: advocacy needs the need, not who had it."""
    rows = [{"recorded_at": _iso(r.created_at.date()), "country": r.country,
             "service": r.service, "note": r.note}
            for r in db.unmet_export(conn, country, since)]
    _audit(conn, now, "unmet_needs", len(rows), country, actor)
    return rows


def monitoring_rows(conn: Connection, country: str | None, since: date | None,
                    now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    """One row per returnee: the plan's dates and the sessions held (``since`` unused)."""
    held = db.session_counts(conn)
    rows = []
    for r in db.monitoring_export(conn, country):
        agreed = r.plan_date
        due = monitoring_dates(agreed) if agreed else {}
        sessions = held.get(r.id, {})
        rows.append({
            **_person(r), "case_manager": r.case_manager, "plan_date": _iso(agreed),
            "plan_versions": r.plan_versions, "midterm_due": _iso(due.get(Kind.MIDTERM)),
            "final_due": _iso(due.get(Kind.FINAL)),
            "follow_up_until": _iso(add_months(agreed, FOLLOW_UP_AFTER_PLAN)) if agreed
            else None,
            **{f"sessions_{k}": sessions.get(k, (0, None))[0]
               for k in ("plan", "wmodel", "survey", "midterm", "final", "other")},
            "last_midterm": _iso(sessions.get("midterm", (0, None))[1]),
            "last_final": _iso(sessions.get("final", (0, None))[1])})
    _audit(conn, now, "monitoring", len(rows), country, actor)
    return rows


EXPORTS = {
    "plans": (plan_rows, PLAN_COLUMNS),
    "referrals": (referral_rows, REFERRAL_COLUMNS),
    "sessions": (session_rows, SESSION_COLUMNS),
    "unmet-needs": (unmet_rows, UNMET_COLUMNS),
    "monitoring": (monitoring_rows, MONITORING_COLUMNS),
}
