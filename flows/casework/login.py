"""Signing in to the web console without a password: a staff member sends /console to the
bot, which writes a one-time link, valid a few minutes, to their own chat; the link opens a
session. Only hashes of the link's and the session's secrets are stored, so a copy of the
database signs nobody in.

Sessions end on logout, after the idle timeout, and when the staff member is deactivated
(every request checks that they are still active).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.casework.base import CaseworkBase
from flows.casework.staff import StaffView
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

LINKS_PER_WINDOW = 5  # login links one staff member may ask for ...
LINK_WINDOW = timedelta(minutes=15)  # ... within this time


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: who, the session's row, and its CSRF token."""

    staff: StaffView
    session_id: int
    csrf: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: Session
    secret: str  # for the cookie only; never stored


class ConsoleLogin(CaseworkBase):
    """Login links, sessions, logout."""

    def send_login_link(self, conn: Connection, staff: StaffView, now: datetime) -> None:
        """/console: a one-time link to this staff member's own chat (rate limited)."""
        if not self.console_url:
            self._reply(conn, staff, now, N_("The web console is not set up here."))
            return
        if store.login_tokens_since(conn, staff.id, now - LINK_WINDOW) >= LINKS_PER_WINDOW:
            self._audit(conn, staff, "console.link_throttled", now)
            self._reply(conn, staff, now, N_("Too many login links were asked for. Please "
                                             "wait a few minutes and try again."))
            return
        token = secrets.token_urlsafe(32)
        store.create_login_token(conn, secret_hash(token), staff.id, now, self.login_valid)
        self._audit(conn, staff, "console.link_sent", now)
        minutes = max(1, int(self.login_valid.total_seconds() // 60))
        self._reply(conn, staff, now, N_(
            "Your link to the console, valid once and for {minutes} minutes:\n{url}\n"
            "Do not pass it on: it signs in as you."),
            minutes=minutes, url=f"{self.console_url.rstrip('/')}/login?token={token}")

    def sign_in(self, conn: Connection, token: str, now: datetime) -> SignedIn | None:
        """Spend a login link and open a session; None for a wrong, used or expired link
        (audited, without the link)."""
        row = store.redeem_login_token(conn, secret_hash(token), now) if token else None
        if row is None:
            store.audit(conn, now, actor="console:unknown", action="console.sign_in_refused")
            return None
        staff = StaffView.of(row, self.catalogs)
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        store.create_session(conn, secret_hash(secret), staff.id, csrf, now)
        session_row = store.live_session(conn, secret_hash(secret), now, now)
        assert session_row is not None
        self._audit(conn, staff, "console.signed_in", now)
        return SignedIn(Session(staff, session_row.session_id, csrf), secret)

    def session(self, conn: Connection, secret: str, idle: timedelta, now: datetime, *,
                touch: bool = True) -> Session | None:
        """The session a cookie names while it is live (and the staff member active);
        ``touch``: this request is the person's doing, so the idle time starts again."""
        if not secret:
            return None
        row = store.live_session(conn, secret_hash(secret), now - idle, now, touch=touch)
        if row is None:
            return None
        return Session(StaffView.of(row, self.catalogs), row.session_id, row.csrf)

    def sign_out(self, conn: Connection, session: Session, now: datetime) -> None:
        store.end_session(conn, session.session_id, now)
        self._audit(conn, session.staff, "console.signed_out", now)
