"""Who hears about a returnee: an escalation's alert (``alert_recipients``), a notice of a
session due, a plan drafted or a referral not reached (``notice_recipients``); their own
case manager first (``assigned_staff``). Reads only, below both the parts that decide and
the applier that sends a ``NotifyTeam``.
"""

from __future__ import annotations

from typing import Any

from storage import casestore as store
from storage.casestore import Connection


def assigned_staff(conn: Connection, participant_id: int) -> Any | None:
    """The staff row of the person's case manager, when they have one who is active."""
    current = store.current_assignment(conn, participant_id)
    if current is None or current.staff_id is None or not current.active:
        return None
    return store.staff_by_id(conn, current.staff_id)


def alert_recipients(conn: Connection, row: Any, level: int, exclude: int | None = None
                     ) -> list[Any]:
    """Who an escalation alert goes to. Without an assigned case manager, as before: the
    country's case managers (supervisors too for Tier 1 and from the second reminder on).
    With one: Tiers 2 and 3 go to that person first, and at the first re-alert to them, the
    team and the supervisor; Tier 1 never waits (life may be at risk): their case manager,
    the team and the supervisor at once, the case manager first. ``exclude``: a staff
    member an urgent alert could not reach in time (never left with nobody)."""
    team = store.recipients(conn, row.country, supervisors=row.tier == 1 or level > 1,
                         exclude=exclude)
    mine = assigned_staff(conn, row.participant_id)
    if mine is None or mine.id == exclude:
        return team
    if row.tier > 1 and level == 0:
        return [mine]
    if row.tier > 1:
        team = store.recipients(conn, row.country, supervisors=True, exclude=exclude)
    return [mine, *(s for s in team if s.id != mine.id)]


def notice_recipients(conn: Connection, participant_id: int, country: str | None
                      ) -> list[Any]:
    """Who hears of a session due, a plan drafted, a referral not reached: the person's
    case manager, else the country's case managers."""
    mine = assigned_staff(conn, participant_id)
    return [mine] if mine is not None else store.recipients(conn, country, supervisors=False)
