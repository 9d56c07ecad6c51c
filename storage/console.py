"""Statements the web console needs beyond casework's own: login links and sessions, the
queue with its filters, what a case page reads, supervision figures, the audit log and the
staff list. Plain functions on a Core connection, run inside units of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, true, update
from sqlalchemy.engine import Connection, Row

from storage.console_models import CaseNote, ConsoleLoginToken, ConsoleSession, HandoffMessage
from storage.models import (
    OPEN_STATUSES,
    AuditEntry,
    Consent,
    Escalation,
    EscalationSignal,
    FollowUp,
    Handoff,
    Participant,
    Staff,
)

_tok = ConsoleLoginToken.__table__
_ses = ConsoleSession.__table__
_note = CaseNote.__table__
_msg = HandoffMessage.__table__
_esc = Escalation.__table__
_sig = EscalationSignal.__table__
_staff = Staff.__table__
_part = Participant.__table__
_hand = Handoff.__table__
_fu = FollowUp.__table__
_audit = AuditEntry.__table__
_consent = Consent.__table__

# Login links and sessions ------------------------------------------------------------


def create_login_token(conn: Connection, token_hash: str, staff_id: int, now: datetime,
                       valid_for: timedelta) -> None:
    conn.execute(insert(_tok), {"token_hash": token_hash, "staff_id": staff_id,
                                "created_at": now, "expires_at": now + valid_for,
                                "used_at": None})


def login_tokens_since(conn: Connection, staff_id: int, since: datetime) -> int:
    return int(conn.execute(select(func.count()).select_from(_tok).where(
        _tok.c.staff_id == staff_id, _tok.c.created_at >= since)).scalar_one())


def redeem_login_token(conn: Connection, token_hash: str, now: datetime) -> Row[Any] | None:
    """The active staff member an unused, unexpired link signs in; the link is spent, even
    when two browsers present it at once (only one update applies)."""
    spent = conn.execute(update(_tok).where(
        _tok.c.token_hash == token_hash, _tok.c.used_at.is_(None), _tok.c.expires_at > now,
    ).values(used_at=now).returning(_tok.c.staff_id)).first()
    if spent is None:
        return None
    return conn.execute(select(_staff).where(_staff.c.id == spent.staff_id,
                                             _staff.c.active)).first()


def create_session(conn: Connection, session_hash: str, staff_id: int, csrf: str,
                   now: datetime) -> None:
    conn.execute(insert(_ses), {"session_hash": session_hash, "staff_id": staff_id,
                                "csrf": csrf, "created_at": now, "last_seen_at": now,
                                "ended_at": None})


def live_session(conn: Connection, session_hash: str, idle_since: datetime,
                 now: datetime, *, touch: bool = True) -> Row[Any] | None:
    """The session and its staff member while it is open, not idle since ``idle_since``,
    and the staff member active; seen now (unless ``touch`` is false: what a page does by
    itself, such as a live refresh, is not activity). An idle session is ended on the way."""
    row = conn.execute(
        select(_ses.c.id.label("session_id"), _ses.c.csrf, _ses.c.last_seen_at, _staff)
        .join(_staff, _staff.c.id == _ses.c.staff_id)
        .where(_ses.c.session_hash == session_hash, _ses.c.ended_at.is_(None))).first()
    if row is None:
        return None
    if row.last_seen_at < idle_since or not row.active:
        end_session(conn, row.session_id, now)
        return None
    if touch:
        conn.execute(update(_ses).where(_ses.c.id == row.session_id).values(last_seen_at=now))
    return row


def end_session(conn: Connection, session_id: int, now: datetime) -> None:
    conn.execute(update(_ses).where(_ses.c.id == session_id, _ses.c.ended_at.is_(None))
                 .values(ended_at=now))


def end_sessions_of(conn: Connection, staff_id: int, now: datetime) -> int:
    result = conn.execute(update(_ses).where(_ses.c.staff_id == staff_id,
                                             _ses.c.ended_at.is_(None)).values(ended_at=now))
    return int(result.rowcount or 0)


# The queue ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows. ``scope``: the one country a staff member sees (with people of
    no country), or None for all; ``country``: a country picked inside that scope ("-" for
    people with no country yet)."""

    scope: str | None = None
    country: str | None = None
    tier: int | None = None
    category: str | None = None
    status: str | None = None
    assignee: int | None = None
    unassigned: bool = False


def _queue_where(stmt: Select[Any], f: QueueFilter) -> Select[Any]:
    statuses = [f.status] if f.status in OPEN_STATUSES else list(OPEN_STATUSES)
    stmt = stmt.where(_esc.c.status.in_(statuses))
    if f.scope is not None:
        stmt = stmt.where(or_(_esc.c.country == f.scope, _esc.c.country.is_(None)))
    if f.country == "-":
        stmt = stmt.where(_esc.c.country.is_(None))
    elif f.country:
        stmt = stmt.where(_esc.c.country == f.country)
    if f.tier is not None:
        stmt = stmt.where(_esc.c.tier == f.tier)
    if f.category:
        stmt = stmt.where(_esc.c.category == f.category)
    if f.unassigned:
        stmt = stmt.where(_esc.c.assignee_id.is_(None))
    elif f.assignee is not None:
        stmt = stmt.where(_esc.c.assignee_id == f.assignee)
    return stmt


def queue_page(conn: Connection, f: QueueFilter, limit: int = 50, offset: int = 0
               ) -> list[Row[Any]]:
    """Open escalations, most urgent first, then oldest; with the person and assignee."""
    holder = _staff.alias("holder")
    stmt = (select(_esc, _part.c.pseudonym, _part.c.locale,
                   holder.c.pseudonym.label("assignee_pseudonym"))
            .join(_part, _part.c.id == _esc.c.participant_id)
            .outerjoin(holder, holder.c.id == _esc.c.assignee_id))
    stmt = _queue_where(stmt, f).order_by(_esc.c.tier, _esc.c.created_at, _esc.c.id)
    return list(conn.execute(stmt.limit(limit).offset(offset)))


def queue_count(conn: Connection, f: QueueFilter) -> int:
    return int(conn.execute(_queue_where(select(func.count()).select_from(_esc), f))
               .scalar_one())


def queue_signature(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever an open escalation appears, is raised, acknowledged, claimed,
    re-alerted or leaves the queue: one cheap read for every live page of a process."""
    row = conn.execute(select(
        func.count(), func.max(_esc.c.id), func.max(_esc.c.acknowledged_at),
        func.sum(_esc.c.tier), func.sum(func.coalesce(_esc.c.assignee_id, 0)),
        func.sum(_esc.c.alert_level)).where(_esc.c.status.in_(OPEN_STATUSES))).one()
    return tuple(row)


def open_categories(conn: Connection, scope: str | None) -> list[str]:
    stmt = select(_esc.c.category).where(_esc.c.status.in_(OPEN_STATUSES)).distinct()
    if scope is not None:
        stmt = stmt.where(or_(_esc.c.country == scope, _esc.c.country.is_(None)))
    return sorted(row.category for row in conn.execute(stmt))


# A case ------------------------------------------------------------------------------


def consents_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_consent).where(_consent.c.participant_id == participant_id)
                             .order_by(_consent.c.at)))


def case_escalations(conn: Connection, participant_id: int, limit: int = 50
                     ) -> list[Row[Any]]:
    holder = _staff.alias("holder")
    return list(conn.execute(
        select(_esc, holder.c.pseudonym.label("assignee_pseudonym"))
        .outerjoin(holder, holder.c.id == _esc.c.assignee_id)
        .where(_esc.c.participant_id == participant_id, _esc.c.status != "screening")
        .order_by(_esc.c.created_at.desc()).limit(limit)))


def signals_of_many(conn: Connection, escalation_ids: Sequence[int]) -> list[Row[Any]]:
    if not escalation_ids:
        return []
    return list(conn.execute(select(_sig).where(_sig.c.escalation_id.in_(escalation_ids))
                             .order_by(_sig.c.at)))


def followups_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_fu).where(_fu.c.participant_id == participant_id)
                             .order_by(_fu.c.due_at)))


def handoffs_of(conn: Connection, participant_id: int, limit: int = 20) -> list[Row[Any]]:
    return list(conn.execute(
        select(_hand, _staff.c.pseudonym.label("staff_pseudonym"))
        .join(_staff, _staff.c.id == _hand.c.staff_id)
        .where(_hand.c.participant_id == participant_id)
        .order_by(_hand.c.started_at.desc()).limit(limit)))


def handoff_messages(conn: Connection, handoff_ids: Sequence[int], limit: int = 500
                     ) -> list[Row[Any]]:
    if not handoff_ids:
        return []
    return list(conn.execute(select(_msg).where(_msg.c.handoff_id.in_(handoff_ids))
                             .order_by(_msg.c.id).limit(limit)))


def add_handoff_message(conn: Connection, *, handoff_id: int, participant_id: int,
                        from_staff: bool, text: str, now: datetime) -> None:
    conn.execute(insert(_msg), {"handoff_id": handoff_id, "participant_id": participant_id,
                                "from_staff": from_staff, "at": now, "text": text})


def active_handoff_of_person(conn: Connection, participant_id: int) -> Row[Any] | None:
    return conn.execute(select(_hand).where(_hand.c.participant_id == participant_id,
                                            _hand.c.ended_at.is_(None))).first()


def case_notes(conn: Connection, participant_id: int, limit: int = 100) -> list[Row[Any]]:
    return list(conn.execute(
        select(_note, _staff.c.pseudonym.label("staff_pseudonym"))
        .outerjoin(_staff, _staff.c.id == _note.c.staff_id)
        .where(_note.c.participant_id == participant_id)
        .order_by(_note.c.at.desc()).limit(limit)))


def add_case_note(conn: Connection, participant_id: int, staff_id: int, text: str,
                  now: datetime) -> None:
    conn.execute(insert(_note), {"participant_id": participant_id, "staff_id": staff_id,
                                 "at": now, "text": text})


# Supervision -------------------------------------------------------------------------


def _in_country(column: Any, country: str | None) -> Any:
    return true() if country is None else column == country


def open_by_tier(conn: Connection, country: str | None) -> dict[int, int]:
    return {row.tier: row.n for row in conn.execute(
        select(_esc.c.tier, func.count().label("n"))
        .where(_esc.c.status.in_(OPEN_STATUSES), _in_country(_esc.c.country, country))
        .group_by(_esc.c.tier))}


def breaches(conn: Connection, country: str | None, since: datetime, now: datetime) -> int:
    """Escalations whose acknowledgement deadline fell since ``since`` and was missed."""
    return int(conn.execute(select(func.count()).select_from(_esc).where(
        _esc.c.ack_deadline >= since, _esc.c.ack_deadline < now,
        _esc.c.status.in_((*OPEN_STATUSES, "resolved")),
        _in_country(_esc.c.country, country),
        or_(_esc.c.acknowledged_at.is_(None), _esc.c.acknowledged_at > _esc.c.ack_deadline),
    )).scalar_one())


def acknowledgements(conn: Connection, country: str | None, since: datetime
                     ) -> list[Row[Any]]:
    """(tier, created_at, acknowledged_at) of escalations opened since ``since``."""
    return list(conn.execute(select(_esc.c.tier, _esc.c.created_at, _esc.c.acknowledged_at)
                             .where(_esc.c.created_at >= since,
                                    _esc.c.acknowledged_at.is_not(None),
                                    _in_country(_esc.c.country, country))))


def alerts_since(conn: Connection, country: str | None, since: datetime) -> list[Row[Any]]:
    """(created_at, category) of every escalation opened since ``since``."""
    return list(conn.execute(select(_esc.c.created_at, _esc.c.category).where(
        _esc.c.created_at >= since, _esc.c.status != "screening",
        _in_country(_esc.c.country, country))))


def followup_counts(conn: Connection, country: str | None, since: datetime, now: datetime
                    ) -> dict[str, int]:
    """Check-ins due since ``since``, by status (sent, answered, missed, ...)."""
    return {row.status: row.n for row in conn.execute(
        select(_fu.c.status, func.count().label("n"))
        .join(_part, _part.c.id == _fu.c.participant_id)
        .where(_fu.c.kind == "checkin", _fu.c.due_at >= since, _fu.c.due_at <= now,
               _in_country(_part.c.country, country))
        .group_by(_fu.c.status))}


def holders(conn: Connection, country: str | None) -> list[Row[Any]]:
    """Who holds how many open escalations, most first."""
    return list(conn.execute(
        select(_staff.c.pseudonym, _staff.c.role, func.count().label("n"))
        .join(_esc, _esc.c.assignee_id == _staff.c.id)
        .where(_esc.c.status.in_(OPEN_STATUSES), _in_country(_esc.c.country, country))
        .group_by(_staff.c.pseudonym, _staff.c.role).order_by(func.count().desc())))


# The audit log and staff -------------------------------------------------------------


def audit_page(conn: Connection, *, actor: str | None = None, subject: str | None = None,
               action: str | None = None, limit: int = 100) -> list[Row[Any]]:
    stmt = select(_audit)
    if actor:
        stmt = stmt.where(_audit.c.actor.contains(actor, autoescape=True))
    if subject:
        stmt = stmt.where(_audit.c.subject == subject.upper())
    if action:
        stmt = stmt.where(_audit.c.action.startswith(action, autoescape=True))
    return list(conn.execute(stmt.order_by(_audit.c.id.desc()).limit(limit)))


def staff_list(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(_staff).order_by(_staff.c.active.desc(),
                                                     _staff.c.country, _staff.c.id)))


def set_staff(conn: Connection, staff_id: int, **values: Any) -> bool:
    return bool(conn.execute(update(_staff).where(_staff.c.id == staff_id)
                             .values(**values)).rowcount)


def staff_by_pseudonym(conn: Connection, pseudonym: str) -> Row[Any] | None:
    return conn.execute(select(_staff).where(_staff.c.pseudonym == pseudonym)).first()
