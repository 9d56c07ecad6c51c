"""Supervision and administration for the web console: per country, the open alerts, the
deadlines missed, how fast alerts are acknowledged, alerts per category per week, check-ins
delivered, answered and missed, and who holds how many cases; for admins, the audit log and
the staff (invite, deactivate, change role). Supervisors see their country, admins all.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flows.casework.handoff import Handoff
from flows.casework.staff import StaffView, invite_hash
from flows.casework.vocabulary import CATEGORY_NAMES
from flows.engine.events import Msg
from flows.research.case_exports import EXPORTS as CASE_EXPORTS
from flows.research.exports import rss_rows, wmodel_rows
from storage import casestore as store
from storage.casestore import Connection

WEEKS = 8  # weeks of alerts per category on the chart
ACK_WINDOW = timedelta(days=30)  # acknowledgement times and check-ins over this window
INVITE_DAYS = 7
CONSOLE_CASE_EXPORTS = ("plans", "referrals", "sessions", "unmet-needs", "monitoring")


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) by linear interpolation; None when there is nothing."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Figures:
    country: str | None
    open_by_tier: dict[int, int]
    breaches_week: int
    ack_minutes: dict[int, tuple[float | None, float | None, int]]  # tier: (p50, p90, n)
    weeks: list[date]  # Monday of each week, oldest first
    per_week: dict[str, list[int]]  # category name: count per week
    followups: dict[str, int]
    holders: list[Any]


def may_supervise(staff: StaffView) -> bool:
    return staff.role in ("supervisor", "admin")


class Supervision(Handoff):
    """Figures, the audit log, staff, exports."""

    def _scope_country(self, conn: Connection, staff: StaffView, country: str | None,
                       what: str, now: datetime) -> tuple[bool, str | None]:
        """(allowed, country): a supervisor is held to their country."""
        wanted = (country or "").upper() or None
        if staff.role == "admin" or staff.country is None:
            return True, wanted
        if wanted not in (None, staff.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"{what}:{wanted}")
            return False, None
        return True, staff.country

    def figures(self, conn: Connection, staff: StaffView, country: str | None, now: datetime
                ) -> Figures | None:
        if not may_supervise(staff):
            self._audit(conn, staff, "staff.refused", now, attempt="supervision")
            return None
        allowed, country = self._scope_country(conn, staff, country, "supervision", now)
        if not allowed:
            return None
        self._audit(conn, staff, "supervision.viewed", now, country=country)
        since = now - ACK_WINDOW
        minutes: dict[int, list[float]] = {1: [], 2: [], 3: []}
        for row in store.acknowledgements(conn, country, since):
            minutes.setdefault(row.tier, []).append(
                (row.acknowledged_at - row.created_at).total_seconds() / 60)
        monday = now.date() - timedelta(days=now.weekday())
        weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
        start = datetime.combine(weeks[0], datetime.min.time(), now.tzinfo)
        counts: Counter[tuple[str, date]] = Counter()
        for row in store.alerts_since(conn, country, start):
            day = row.created_at.date()
            counts[(row.category, day - timedelta(days=day.weekday()))] += 1
        per_week: dict[str, list[int]] = {}
        for category in sorted({c for c, _ in counts}):
            per_week[self._category(staff.locale, category)] = [counts[(category, w)]
                                                                for w in weeks]
        week_start = datetime.combine(monday, datetime.min.time(), now.tzinfo)
        return Figures(
            country=country, open_by_tier=store.open_by_tier(conn, country),
            breaches_week=store.breaches(conn, country, week_start, now),
            ack_minutes={tier: (percentile(v, 0.5), percentile(v, 0.9), len(v))
                         for tier, v in sorted(minutes.items())},
            weeks=weeks, per_week=per_week,
            followups=store.followup_counts(conn, country, since, now),
            holders=store.holders(conn, country))

    def _category(self, locale: str, code: str) -> str:
        return self.catalogs.render(locale, Msg(CATEGORY_NAMES.get(code, code)))

    def export(self, conn: Connection, staff: StaffView, kind: str, country: str | None,
               now: datetime) -> list[dict[str, Any]] | None:
        """A research export downloaded from the console: supervisors and admins, in their
        scope; audited with who took it (the export writes its own audit row)."""
        if not may_supervise(staff) or kind not in ("rss", "wmodel", *CONSOLE_CASE_EXPORTS):
            self._audit(conn, staff, "staff.refused", now, attempt=f"export:{kind[:12]}")
            return None
        allowed, country = self._scope_country(conn, staff, country, "export", now)
        if not allowed:
            return None
        actor = f"staff:{staff.pseudonym}"
        if kind in CONSOLE_CASE_EXPORTS:  # plans, referrals, sessions, needs, monitoring
            return CASE_EXPORTS[kind][0](conn, country, None, now, actor=actor)
        if kind == "rss":
            return rss_rows(conn, self.weights, country, None, now, actor=actor)
        return wmodel_rows(conn, country, None, now, actor=actor)

    # Admin -----------------------------------------------------------------------------

    def _admin(self, conn: Connection, staff: StaffView, what: str, now: datetime) -> bool:
        if staff.role == "admin":
            return True
        self._audit(conn, staff, "staff.refused", now, attempt=what)
        return False

    def audit_log(self, conn: Connection, staff: StaffView, filters: dict[str, str],
                  now: datetime) -> list[Any] | None:
        if not self._admin(conn, staff, "audit", now):
            return None
        actor, subject, action = (filters.get(k, "").strip()[:64]
                                  for k in ("actor", "subject", "action"))
        self._audit(conn, staff, "audit.viewed", now, filters={
            "actor": actor or None, "subject": subject or None, "action": action or None})
        return store.audit_page(conn, actor=actor or None, subject=subject or None,
                                     action=action or None)

    def staff_members(self, conn: Connection, staff: StaffView, now: datetime) -> list[Any] | None:
        if not self._admin(conn, staff, "staff", now):
            return None
        self._audit(conn, staff, "staff.listed", now)
        return store.staff_list(conn)

    def invite_staff(self, conn: Connection, staff: StaffView, role: str, country: str | None,
                     languages: list[str], now: datetime) -> str | None:
        """A one-time invite code (shown once; only its hash is kept), or None."""
        country = (country or "").upper() or None
        if (not self._admin(conn, staff, "staff.invite", now) or role not in store.ROLES
                or (country is not None and not (len(country) == 2 and country.isalpha()))
                or (role != "admin" and country is None)):
            return None
        code = secrets.token_urlsafe(12)
        store.create_invite(conn, code_hash=invite_hash(code), role=role, country=country,
                         languages=languages or ["en"], now=now,
                         valid_for=timedelta(days=INVITE_DAYS))
        self._audit(conn, staff, "staff.invited", now, role=role, country=country)
        return code

    def change_staff(self, conn: Connection, staff: StaffView, pseudonym: str, *,
                     role: str | None = None, active: bool | None = None,
                     now: datetime) -> bool:
        """Change a role, or (de)activate; deactivating ends their sessions and chats."""
        target = store.staff_by_pseudonym(conn, pseudonym)
        if (not self._admin(conn, staff, "staff.change", now) or target is None
                or (role is not None and role not in store.ROLES)
                or (target.id == staff.id and active is False)):
            return False
        if role is not None:
            store.set_staff(conn, target.id, role=role)
            self._audit(conn, staff, "staff.role_changed", now, target=target.pseudonym,
                        role=role)
        if active is not None:
            store.set_staff(conn, target.id, active=active)
            if not active:
                ended = store.end_sessions_of(conn, target.id, now)
                target_view = StaffView.of(target, self.catalogs)
                self.end_chat(conn, target_view, now)
                self._audit(conn, staff, "staff.deactivated", now, target=target.pseudonym,
                            sessions_ended=ended)
            else:
                self._audit(conn, staff, "staff.reactivated", now, target=target.pseudonym)
        return True
