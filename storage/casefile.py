"""Statements for case management: assignments and their history, the case file, sessions,
plan versions and progress, the provider directory, referrals, unmet needs, and the
questions waiting to be put to a returnee. Plain functions on a Core connection, run inside
units of work (``flows/casework`` decides; nothing here knows why)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row

from storage import repository as repo
from storage.casefile_models import (
    CaseAssignment,
    CaseFile,
    CaseQuestion,
    CaseSession,
    PlanProgress,
    PlanVersion,
    Provider,
    Referral,
    UnmetNeed,
)
from storage.models import Participant, Staff
from storage.research import PEOPLE_COLUMNS

_asg = CaseAssignment.__table__
_file = CaseFile.__table__
_ses = CaseSession.__table__
_plan = PlanVersion.__table__
_prog = PlanProgress.__table__
_prov = Provider.__table__
_ref = Referral.__table__
_unmet = UnmetNeed.__table__
_q = CaseQuestion.__table__
_part = Participant.__table__
_staff = Staff.__table__


def _since(stmt: Any, column: Any, since: date | None) -> Any:
    if since is None:
        return stmt
    return stmt.where(column >= datetime.combine(since, time.min, tzinfo=UTC))


# Assignment -----------------------------------------------------------------------------


def current_assignment(conn: Connection, participant_id: int) -> Row[Any] | None:
    """The open assignment, with the staff member's chat, role and whether active."""
    return conn.execute(
        select(_asg, _staff.c.channel, _staff.c.chat_id, _staff.c.role, _staff.c.active,
               _staff.c.country.label("staff_country"), _staff.c.gender,
               _staff.c.languages)
        .outerjoin(_staff, _staff.c.id == _asg.c.staff_id)
        .where(_asg.c.participant_id == participant_id, _asg.c.ended_at.is_(None))).first()


def assign(conn: Connection, participant_id: int, *, staff_id: int, staff_pseudonym: str,
           by: str, reason: str, now: datetime) -> None:
    """End the open assignment (kept as history) and open the new one."""
    conn.execute(update(_asg).where(_asg.c.participant_id == participant_id,
                                    _asg.c.ended_at.is_(None)).values(ended_at=now))
    conn.execute(insert(_asg), {"participant_id": participant_id, "staff_id": staff_id,
                                "staff_pseudonym": staff_pseudonym, "assigned_by": by,
                                "reason": reason, "started_at": now, "ended_at": None})


def assignment_history(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_asg).where(_asg.c.participant_id == participant_id)
                             .order_by(_asg.c.started_at, _asg.c.id)))


def caseload(conn: Connection, staff_id: int) -> list[Row[Any]]:
    """The people a staff member holds now, with since when."""
    return list(conn.execute(
        select(_part.c.id, _part.c.pseudonym, _part.c.country, _part.c.return_date,
               _part.c.profile, _asg.c.started_at)
        .join(_part, _part.c.id == _asg.c.participant_id)
        .where(_asg.c.staff_id == staff_id, _asg.c.ended_at.is_(None))
        .order_by(_asg.c.started_at)))


def caseload_counts(conn: Connection, country: str | None) -> list[Row[Any]]:
    """Every active case manager and supervisor of ``country`` (every one for None) with
    how many people they hold now, fewest first."""
    held = (select(_asg.c.staff_id, func.count().label("n")).where(_asg.c.ended_at.is_(None))
            .group_by(_asg.c.staff_id).subquery())
    stmt = (select(_staff.c.id, _staff.c.pseudonym, _staff.c.role, _staff.c.country,
                   _staff.c.gender, func.coalesce(held.c.n, 0).label("held"))
            .outerjoin(held, held.c.staff_id == _staff.c.id)
            .where(_staff.c.active, _staff.c.role.in_(("case_manager", "supervisor"))))
    if country is not None:
        stmt = stmt.where(_staff.c.country == country)
    return list(conn.execute(stmt.order_by(func.coalesce(held.c.n, 0), _staff.c.id)))


def staff_by_pseudonym(conn: Connection, pseudonym: str) -> Row[Any] | None:
    return conn.execute(select(_staff).where(_staff.c.pseudonym == pseudonym.upper(),
                                             _staff.c.active)).first()


def set_staff_gender(conn: Connection, staff_id: int, gender: str | None) -> None:
    conn.execute(update(_staff).where(_staff.c.id == staff_id).values(gender=gender))


# The case file ---------------------------------------------------------------------------


def case_file(conn: Connection, participant_id: int) -> Row[Any] | None:
    return conn.execute(select(_file).where(_file.c.participant_id == participant_id)).first()


def set_case_file(conn: Connection, participant_id: int, now: datetime, **values: Any) -> None:
    done = conn.execute(update(_file).where(_file.c.participant_id == participant_id)
                        .values(updated_at=now, **values))
    if not done.rowcount:
        conn.execute(insert(_file), {"participant_id": participant_id, "updated_at": now,
                                     "preferred_gender": None, "plan_date": None, **values})


def plan_date(conn: Connection, participant_id: int) -> date | None:
    value: date | None = conn.execute(select(_file.c.plan_date).where(
        _file.c.participant_id == participant_id)).scalar()
    return value


# Sessions --------------------------------------------------------------------------------


def add_session(conn: Connection, *, participant_id: int, staff_id: int | None,
                staff_pseudonym: str, kind: str, mode: str, held_on: date, note: str | None,
                now: datetime) -> int:
    return int(conn.execute(insert(_ses).returning(_ses.c.id), {
        "participant_id": participant_id, "staff_id": staff_id,
        "staff_pseudonym": staff_pseudonym, "kind": kind, "mode": mode, "held_on": held_on,
        "note": note, "created_at": now}).scalar_one())


def sessions_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_ses).where(_ses.c.participant_id == participant_id)
                             .order_by(_ses.c.held_on, _ses.c.id)))


def session_kinds_held(conn: Connection, participant_id: int) -> set[str]:
    return set(conn.execute(select(_ses.c.kind).where(
        _ses.c.participant_id == participant_id).distinct()).scalars())


def sessions_export(conn: Connection, country: str | None, since: date | None
                    ) -> list[Row[Any]]:
    stmt = (select(_ses, *PEOPLE_COLUMNS).join(_part, _part.c.id == _ses.c.participant_id)
            .order_by(_part.c.pseudonym, _ses.c.held_on, _ses.c.id))
    if country:
        stmt = stmt.where(_part.c.country == country)
    return list(conn.execute(_since(stmt, _ses.c.created_at, since)))


# The plan --------------------------------------------------------------------------------


def plan_versions(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_plan).where(_plan.c.participant_id == participant_id)
                             .order_by(_plan.c.version)))


def current_plan(conn: Connection, participant_id: int) -> Row[Any] | None:
    return conn.execute(select(_plan).where(_plan.c.participant_id == participant_id)
                        .order_by(_plan.c.version.desc()).limit(1)).first()


def add_plan_version(conn: Connection, participant_id: int, *, content: dict[str, Any],
                     plan_date: date | None, author: str, consent: str | None,
                     now: datetime) -> int:
    """The next version number; two writers at once collide on the unique index and the
    unit of work is run again."""
    last = conn.execute(select(func.max(_plan.c.version)).where(
        _plan.c.participant_id == participant_id)).scalar()
    version = int(last or 0) + 1
    conn.execute(insert(_plan), {
        "participant_id": participant_id, "version": version, "content": content,
        "plan_date": plan_date, "author": author, "created_at": now, "consent": consent,
        "consent_at": now if consent else None})
    return version


def set_plan_consent(conn: Connection, participant_id: int, version: int, consent: str,
                     now: datetime) -> bool:
    done = conn.execute(update(_plan).where(_plan.c.participant_id == participant_id,
                                            _plan.c.version == version)
                        .values(consent=consent, consent_at=now))
    return bool(done.rowcount)


def add_progress(conn: Connection, *, participant_id: int, plan_version: int, activity: str,
                 status: str, note: str | None, now: datetime) -> None:
    conn.execute(insert(_prog), {"participant_id": participant_id,
                                 "plan_version": plan_version, "activity": activity,
                                 "status": status, "note": note, "at": now})


def progress_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_prog).where(_prog.c.participant_id == participant_id)
                             .order_by(_prog.c.at, _prog.c.id)))


def plans_export(conn: Connection, country: str | None, since: date | None
                 ) -> list[Row[Any]]:
    stmt = (select(_plan, *PEOPLE_COLUMNS).join(_part, _part.c.id == _plan.c.participant_id)
            .order_by(_part.c.pseudonym, _plan.c.version))
    if country:
        stmt = stmt.where(_part.c.country == country)
    return list(conn.execute(_since(stmt, _plan.c.created_at, since)))


# Providers -------------------------------------------------------------------------------


def add_provider(conn: Connection, *, country: str | None, name: str, services: Sequence[str],
                 contact: str | None, by: str, now: datetime) -> int:
    return int(conn.execute(insert(_prov).returning(_prov.c.id), {
        "country": country, "name": name, "services": list(services), "contact": contact,
        "active": True, "created_by": by, "created_at": now}).scalar_one())


def providers(conn: Connection, country: str | None) -> list[Row[Any]]:
    stmt = select(_prov).where(_prov.c.active)
    if country is not None:
        stmt = stmt.where(_prov.c.country == country)
    return list(conn.execute(stmt.order_by(_prov.c.id)))


def provider(conn: Connection, provider_id: int) -> Row[Any] | None:
    return conn.execute(select(_prov).where(_prov.c.id == provider_id, _prov.c.active)).first()


# Referrals and unmet needs ---------------------------------------------------------------


def add_referral(conn: Connection, **values: Any) -> int:
    row = {"note": None, "consent_version": None, "consent_at": None, "ask_at": None,
           "reached": None, "helped": None, "answered_at": None, **values}
    return int(conn.execute(insert(_ref).returning(_ref.c.id), row).scalar_one())


def referral(conn: Connection, referral_id: int) -> Row[Any] | None:
    return conn.execute(select(_ref).where(_ref.c.id == referral_id)).first()


def update_referral(conn: Connection, referral_id: int, **values: Any) -> None:
    conn.execute(update(_ref).where(_ref.c.id == referral_id).values(**values))


def referrals_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_ref).where(_ref.c.participant_id == participant_id)
                             .order_by(_ref.c.created_at, _ref.c.id)))


def referrals_export(conn: Connection, country: str | None, since: date | None
                     ) -> list[Row[Any]]:
    stmt = (select(_ref, *PEOPLE_COLUMNS).join(_part, _part.c.id == _ref.c.participant_id)
            .order_by(_ref.c.created_at, _ref.c.id))
    if country:
        stmt = stmt.where(_ref.c.country == country)
    return list(conn.execute(_since(stmt, _ref.c.created_at, since)))


def add_unmet(conn: Connection, *, participant_id: int, country: str | None, service: str,
              note: str | None, by: str, now: datetime) -> int:
    return int(conn.execute(insert(_unmet).returning(_unmet.c.id), {
        "participant_id": participant_id, "country": country, "service": service,
        "note": note, "created_by": by, "created_at": now}).scalar_one())


def unmet_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_unmet).where(_unmet.c.participant_id == participant_id)
                             .order_by(_unmet.c.created_at)))


def unmet_export(conn: Connection, country: str | None, since: date | None
                 ) -> list[Row[Any]]:
    stmt = select(_unmet).order_by(_unmet.c.created_at, _unmet.c.id)
    if country:
        stmt = stmt.where(_unmet.c.country == country)
    return list(conn.execute(_since(stmt, _unmet.c.created_at, since)))


# Monitoring ------------------------------------------------------------------------------


def monitoring_export(conn: Connection, country: str | None) -> list[Row[Any]]:
    """One row per returnee: who they are (analysis variables), the plan's dates, how many
    plan versions, and the current case manager."""
    versions = (select(_plan.c.participant_id, func.count().label("plan_versions"),
                       func.min(_plan.c.created_at).label("first_plan_at"))
                .group_by(_plan.c.participant_id).subquery())
    stmt = (select(_part.c.id, *PEOPLE_COLUMNS, _file.c.plan_date,
                   func.coalesce(versions.c.plan_versions, 0).label("plan_versions"),
                   versions.c.first_plan_at, _asg.c.staff_pseudonym.label("case_manager"))
            .select_from(_part)
            .outerjoin(_file, _file.c.participant_id == _part.c.id)
            .outerjoin(versions, versions.c.participant_id == _part.c.id)
            .outerjoin(_asg, (_asg.c.participant_id == _part.c.id) & _asg.c.ended_at.is_(None))
            .where(_part.c.onboarded_at.is_not(None))
            .order_by(_part.c.pseudonym))
    if country:
        stmt = stmt.where(_part.c.country == country)
    return list(conn.execute(stmt))


def session_counts(conn: Connection) -> dict[int, dict[str, Any]]:
    """Per person: sessions held per kind, and the last date of each kind."""
    found: dict[int, dict[str, Any]] = {}
    for row in conn.execute(select(_ses.c.participant_id, _ses.c.kind,
                                   func.count().label("n"),
                                   func.max(_ses.c.held_on).label("last"))
                            .group_by(_ses.c.participant_id, _ses.c.kind)):
        found.setdefault(row.participant_id, {})[row.kind] = (row.n, row.last)
    return found


# Questions for the returnee --------------------------------------------------------------


def add_question(conn: Connection, participant_id: int, kind: str, ref_id: int,
                 due_at: datetime) -> None:
    conn.execute(insert(_q), {"participant_id": participant_id, "kind": kind,
                              "ref_id": ref_id, "status": "pending", "due_at": due_at,
                              "asked_at": None})


def cancel_questions(conn: Connection, participant_id: int, kind: str) -> None:
    """Questions of a kind not yet answered are dropped (a newer one replaces them)."""
    conn.execute(update(_q).where(_q.c.participant_id == participant_id, _q.c.kind == kind,
                                  _q.c.status.in_(("pending", "asked")))
                 .values(status="cancelled"))


def answer_question(conn: Connection, participant_id: int, kind: str, ref_id: int) -> None:
    conn.execute(update(_q).where(_q.c.participant_id == participant_id, _q.c.kind == kind,
                                  _q.c.ref_id == ref_id, _q.c.status.in_(("pending", "asked")))
                 .values(status="answered"))


def pending_questions(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_q).where(_q.c.participant_id == participant_id,
                                              _q.c.status.in_(("pending", "asked")))
                             .order_by(_q.c.due_at, _q.c.id)))


def claim_due_questions(conn: Connection, now: datetime, limit: int) -> list[Any]:
    """Questions due, with their person (conversation and handoff), oldest first; taken by
    one worker only on PostgreSQL."""
    stmt = (select(_q.c.id).where(_q.c.status == "pending", _q.c.due_at <= now)
            .order_by(_q.c.due_at).limit(limit))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = [row.id for row in conn.execute(stmt)]
    if not ids:
        return []
    columns = tuple(c.label(f"q_{c.name}") for c in _q.c)
    people = repo.with_person(select(*columns, *repo.PERSON_COLUMNS)
                              .select_from(_q.join(_part, _part.c.id == _q.c.participant_id)))
    return list(conn.execute(people.where(_q.c.id.in_(ids)).order_by(_q.c.due_at)))


def update_question(conn: Connection, question_id: int, **values: Any) -> None:
    conn.execute(update(_q).where(_q.c.id == question_id).values(**values))
