"""Statements for the case-manager side: escalations and their signals, staff and invites,
handoffs. Plain functions on a Core connection, run inside units of work."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Row

from storage.models import (
    OPEN_STATUSES,
    AuditEntry,
    Escalation,
    EscalationSignal,
    Handoff,
    Participant,
    Staff,
    StaffInvite,
)
from storage.prepared import Prepared, Record

_esc = Escalation.__table__
_sig = EscalationSignal.__table__
_staff = Staff.__table__
_inv = StaffInvite.__table__
_hand = Handoff.__table__
_part = Participant.__table__

ROLES = ("case_manager", "supervisor", "admin")

_ESCALATION_VIEW = (
    select(_esc, _part.c.pseudonym, _part.c.locale, _part.c.channel.label("p_channel"),
           _part.c.chat_id.label("p_chat_id"), _part.c.consent_state)
    .join(_part, _part.c.id == _esc.c.participant_id)
)


def find_open(conn: Connection, participant_id: int, category: str) -> Row[Any] | None:
    return conn.execute(select(_esc).where(
        _esc.c.participant_id == participant_id, _esc.c.category == category,
        _esc.c.status.in_(OPEN_STATUSES))).first()


def open_escalation(
    conn: Connection, *, participant_id: int, tier: int, categories: Sequence[str],
    source: str, country: str | None, note_72h: bool, ack_deadline: datetime, now: datetime,
) -> int:
    """A new open escalation; a second one for the same person and category cannot exist
    (unique index), so a race ends in IntegrityError and the unit is run again."""
    return int(conn.execute(insert(_esc).returning(_esc.c.id), {
        "participant_id": participant_id, "tier": tier, "category": categories[0],
        "categories": list(categories), "source": source, "status": "open",
        "country": country, "note_72h": note_72h, "ack_deadline": ack_deadline,
        "next_alert_at": ack_deadline, "alert_level": 0, "created_at": now,
    }).scalar_one())


def open_screening(conn: Connection, *, participant_id: int, categories: Sequence[str],
                   country: str | None, note_72h: bool, due: datetime, now: datetime) -> int:
    """A possible Tier 1 signal waiting for the person's answer (status ``screening``):
    nobody is alerted yet; ``next_alert_at`` is when silence alerts the team."""
    return int(conn.execute(insert(_esc).returning(_esc.c.id), {
        "participant_id": participant_id, "tier": 1, "category": categories[0],
        "categories": list(categories), "source": "screen", "status": "screening",
        "country": country, "note_72h": note_72h, "ack_deadline": None,
        "next_alert_at": due, "alert_level": 0, "created_at": now,
    }).scalar_one())


def screenings_of(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_esc).where(
        _esc.c.participant_id == participant_id, _esc.c.status == "screening")))


def claim_due_screenings(conn: Connection, now: datetime, limit: int = 100) -> list[Row[Any]]:
    """Questions left unanswered past their deadline; taken once even with several
    workers."""
    stmt = (_ESCALATION_VIEW.where(_esc.c.status == "screening", _esc.c.next_alert_at <= now)
            .order_by(_esc.c.next_alert_at).limit(limit))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=_esc)
    return list(conn.execute(stmt))


def end_screening(conn: Connection, escalation_id: int, now: datetime) -> None:
    """The question is settled (answered, or alerted as unanswered): the row is closed and
    its signals move to the escalation that carries on, if any."""
    conn.execute(update(_esc).where(_esc.c.id == escalation_id).values(
        status="cancelled", resolved_at=now, next_alert_at=None))


def move_signals(conn: Connection, source_id: int, target_id: int) -> None:
    conn.execute(update(_sig).where(_sig.c.escalation_id == source_id).values(
        escalation_id=target_id))


def add_signal(conn: Connection, escalation_id: int, *, at: datetime, source: str, tier: int,
               categories: Sequence[str], excerpt: str | None) -> None:
    conn.execute(insert(_sig), {"escalation_id": escalation_id, "at": at, "source": source,
                                "tier": tier, "categories": list(categories),
                                "excerpt": excerpt})


def raise_escalation(conn: Connection, escalation_id: int, *, tier: int,
                     categories: Sequence[str], note_72h: bool,
                     ack_deadline: datetime | None) -> None:
    """A more urgent signal on an open escalation: higher tier, nearer deadline."""
    values: dict[str, Any] = {"tier": tier, "categories": list(categories),
                              "note_72h": note_72h}
    if ack_deadline is not None:
        values.update(ack_deadline=ack_deadline, next_alert_at=ack_deadline)
    conn.execute(update(_esc).where(_esc.c.id == escalation_id).values(**values))


def get_escalation(conn: Connection, escalation_id: int) -> Row[Any] | None:
    return conn.execute(_ESCALATION_VIEW.where(_esc.c.id == escalation_id)).first()


def queue(conn: Connection, country: str | None, limit: int = 30) -> list[Row[Any]]:
    """Open and acknowledged escalations, most urgent first, then oldest."""
    stmt = _ESCALATION_VIEW.where(_esc.c.status.in_(OPEN_STATUSES))
    if country is not None:  # a person with no country is in every queue: never in none
        stmt = stmt.where(or_(_esc.c.country == country, _esc.c.country.is_(None)))
    return list(conn.execute(stmt.order_by(_esc.c.tier, _esc.c.created_at).limit(limit)))


def open_escalation_of(conn: Connection, participant_id: int) -> Row[Any] | None:
    """The person's most urgent open (not yet acknowledged) escalation, with its view."""
    return conn.execute(_ESCALATION_VIEW.where(
        _esc.c.participant_id == participant_id, _esc.c.status == "open")
        .order_by(_esc.c.tier, _esc.c.created_at)).first()


def escalations_of(conn: Connection, participant_id: int, limit: int = 10) -> list[Row[Any]]:
    return list(conn.execute(select(_esc).where(_esc.c.participant_id == participant_id)
                             .order_by(_esc.c.created_at.desc()).limit(limit)))


def signals_of(conn: Connection, escalation_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_sig).where(_sig.c.escalation_id == escalation_id)
                             .order_by(_sig.c.at)))


def acknowledge(conn: Connection, escalation_id: int, staff_id: int, now: datetime) -> bool:
    """open → acknowledged (and assigned, if nobody had it). False if not open."""
    result = conn.execute(update(_esc).where(
        _esc.c.id == escalation_id, _esc.c.status == "open").values(
        status="acknowledged", acknowledged_at=now, next_alert_at=None,
        assignee_id=func.coalesce(_esc.c.assignee_id, staff_id)))
    return bool(result.rowcount)


def claim(conn: Connection, escalation_id: int, staff_id: int, now: datetime) -> bool:
    """Take the case. Exactly one of several case managers claiming at once wins: the update
    only applies while nobody else holds it."""
    result = conn.execute(update(_esc).where(
        _esc.c.id == escalation_id, _esc.c.status.in_(OPEN_STATUSES),
        or_(_esc.c.assignee_id.is_(None), _esc.c.assignee_id == staff_id),
    ).values(assignee_id=staff_id, status="acknowledged", next_alert_at=None,
             acknowledged_at=func.coalesce(_esc.c.acknowledged_at, now)))
    return bool(result.rowcount)


def resolve(conn: Connection, escalation_id: int, note: str, now: datetime) -> bool:
    result = conn.execute(update(_esc).where(
        _esc.c.id == escalation_id, _esc.c.status.in_(OPEN_STATUSES)).values(
        status="resolved", resolved_at=now, resolution_note=note, next_alert_at=None))
    return bool(result.rowcount)


def claim_due_alerts(conn: Connection, now: datetime, limit: int = 100) -> list[Row[Any]]:
    """Open escalations whose acknowledgement deadline passed; taken once even with several
    workers (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
    stmt = (select(_esc.c.id).where(_esc.c.status == "open", _esc.c.next_alert_at <= now)
            .order_by(_esc.c.next_alert_at).limit(limit))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = [row.id for row in conn.execute(stmt)]
    if not ids:
        return []
    return list(conn.execute(_ESCALATION_VIEW.where(_esc.c.id.in_(ids))))


def schedule_next_alert(conn: Connection, escalation_id: int, level: int,
                        at: datetime) -> None:
    conn.execute(update(_esc).where(_esc.c.id == escalation_id).values(
        alert_level=level, next_alert_at=at))


# Staff -------------------------------------------------------------------------------


_LOAD_STAFF = Prepared(select(_staff).where(
    _staff.c.channel == bindparam("channel"), _staff.c.chat_id == bindparam("chat"),
    _staff.c.active))


def load_staff(conn: Connection, channel: str, chat_id: str) -> Record | None:
    """The active staff member writing from this chat (asked of every unknown chat)."""
    row = _LOAD_STAFF.execute(conn, {"channel": channel, "chat": chat_id}).first()
    return None if row is None else Record(row)


def staff_by_id(conn: Connection, staff_id: int) -> Row[Any] | None:
    return conn.execute(select(_staff).where(_staff.c.id == staff_id)).first()


def recipients(conn: Connection, country: str | None, *, supervisors: bool,
               exclude: int | None = None) -> list[Row[Any]]:
    """Who is alerted: the country's case managers (and supervisors when asked). Nobody may be
    missed, so each step down is taken only when the one before found nobody: the country's
    (or, for a person with no country, the country-less team's) case managers and
    supervisors; then every supervisor and admin; then every case manager. Empty only when
    the deployment has no active staff at all (``bot.runtime`` says so at every start).
    ``exclude``: a staff member left out (one an urgent alert could not reach)."""
    roles = ["case_manager", "supervisor"] if supervisors else ["case_manager"]
    steps = [
        select(_staff).where(_staff.c.active, _staff.c.role.in_(roles),
                             _staff.c.country == country),
        select(_staff).where(_staff.c.active, _staff.c.role.in_(("supervisor", "admin"))),
        select(_staff).where(_staff.c.active, _staff.c.role == "case_manager"),
    ]
    if country is None:  # the country-less team first, with its supervisors
        steps[0] = select(_staff).where(_staff.c.active, _staff.c.country.is_(None),
                                        _staff.c.role.in_(("case_manager", "supervisor")))
    for stmt in steps:
        if exclude is not None:
            stmt = stmt.where(_staff.c.id != exclude)
        found = list(conn.execute(stmt.order_by(_staff.c.id)))
        if found:
            return found
    return []


def refused_joins(conn: Connection, chat: str, since: datetime) -> int:
    """Wrong invitation codes tried from one chat since ``since`` (from the audit log)."""
    audit = AuditEntry.__table__
    return int(conn.execute(select(func.count()).select_from(audit).where(
        audit.c.action == "staff.join_refused", audit.c.subject == chat,
        audit.c.at >= since)).scalar_one())


def active_staff(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_staff).where(
        _staff.c.active)).scalar_one())


def create_invite(conn: Connection, *, code_hash: str, role: str, country: str | None,
                  languages: Sequence[str], now: datetime, valid_for: timedelta) -> None:
    conn.execute(insert(_inv), {"code_hash": code_hash, "role": role, "country": country,
                                "languages": list(languages), "created_at": now,
                                "expires_at": now + valid_for, "used_at": None,
                                "staff_id": None})


def redeem_invite(conn: Connection, code_hash: str, channel: str, chat_id: str,
                  now: datetime) -> Row[Any] | None:
    """The staff member an unused, unexpired invite creates for this chat, or None."""
    invite = conn.execute(select(_inv).where(
        _inv.c.code_hash == code_hash, _inv.c.used_at.is_(None),
        _inv.c.expires_at > now)).first()
    if invite is None:
        return None
    existing = load_staff(conn, channel, chat_id)
    if existing is not None:
        staff_id = existing.id
        conn.execute(update(_staff).where(_staff.c.id == staff_id).values(
            role=invite.role, country=invite.country, languages=invite.languages))
    else:
        staff_id = conn.execute(insert(_staff).returning(_staff.c.id), {
            "pseudonym": "S-" + secrets.token_hex(3).upper(), "channel": channel,
            "chat_id": chat_id, "role": invite.role, "country": invite.country,
            "languages": invite.languages, "active": True, "pending": {}, "created_at": now,
        }).scalar_one()
    used = conn.execute(update(_inv).where(_inv.c.id == invite.id, _inv.c.used_at.is_(None))
                        .values(used_at=now, staff_id=staff_id))
    if not used.rowcount:
        return None
    return staff_by_id(conn, staff_id)


def set_pending(conn: Connection, staff_id: int, pending: dict[str, Any]) -> None:
    conn.execute(update(_staff).where(_staff.c.id == staff_id).values(pending=pending))


# Handoffs ----------------------------------------------------------------------------


def start_handoff(conn: Connection, *, participant_id: int, staff_id: int,
                  escalation_id: int | None, now: datetime) -> bool:
    """False when another case manager already holds a chat with this person."""
    active = conn.execute(select(_hand.c.staff_id).where(
        _hand.c.participant_id == participant_id, _hand.c.ended_at.is_(None))).first()
    if active is not None:
        return active.staff_id == staff_id
    conn.execute(insert(_hand), {"participant_id": participant_id, "staff_id": staff_id,
                                 "escalation_id": escalation_id, "started_at": now,
                                 "ended_at": None})
    return True


def active_handoff_of_staff(conn: Connection, staff_id: int) -> Row[Any] | None:
    return conn.execute(
        select(_hand, _part.c.pseudonym, _part.c.channel.label("p_channel"),
               _part.c.chat_id.label("p_chat_id"), _part.c.locale)
        .join(_part, _part.c.id == _hand.c.participant_id)
        .where(_hand.c.staff_id == staff_id, _hand.c.ended_at.is_(None))).first()


def end_handoff(conn: Connection, handoff_id: int, now: datetime) -> None:
    conn.execute(update(_hand).where(_hand.c.id == handoff_id, _hand.c.ended_at.is_(None))
                 .values(ended_at=now))


def end_handoffs_of_escalation(conn: Connection, escalation_id: int, now: datetime
                               ) -> list[Row[Any]]:
    rows = list(conn.execute(select(_hand).where(
        and_(_hand.c.escalation_id == escalation_id, _hand.c.ended_at.is_(None)))))
    for row in rows:
        end_handoff(conn, row.id, now)
    return rows


def participant_by_pseudonym(conn: Connection, pseudonym: str) -> Row[Any] | None:
    return conn.execute(select(_part).where(_part.c.pseudonym == pseudonym.upper())).first()


def participant_by_id(conn: Connection, participant_id: int) -> Row[Any] | None:
    return conn.execute(select(_part).where(_part.c.id == participant_id)).first()
