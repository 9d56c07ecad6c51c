"""Cookies, CSRF and the login limiter of the web console.

CSRF is checked by hand, on purpose: every POST carries the session's own token (a random
value kept with the session row, put into every form by the templates) and it is compared
in constant time inside the unit of work that already loads the session. The small CSRF
libraries for Starlette are double-submit-cookie middlewares that read the form body before
the route does and know nothing of our sessions; this is twenty lines and one source of
truth. The session cookie is also ``SameSite=Strict``, so a cross-site form does not even
carry it. Before signing in there is no session yet: the login form is tied to a short-lived
cookie of its own (double submit), so another site cannot sign a browser in as someone
else.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "hc_session"
LOGIN_COOKIE = "hc_login"
FLASH_COOKIE = "hc_flash"
LANG_COOKIE = "hc_lang"


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty or missing value never matches."""
    return bool(given) and bool(expected) and hmac.compare_digest(
        str(given).encode(), expected.encode())


def set_cookie(response: Response, name: str, value: str, *, secure: bool,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="strict")


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


class LoginLimiter:
    """Failed sign-ins per client address in a sliding window: past ``limit``, the address
    must wait (login links are long random secrets; this only keeps guessing pointless and
    the audit log readable). Links themselves are rate limited where the bot sends them."""

    def __init__(self, limit: int = 10, window: float = 600.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] < now - self.window:
            failures.popleft()
        return failures

    def blocked(self, key: str) -> bool:
        return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        now = time.monotonic()
        self._recent(key, now).append(now)
        if len(self._failures) > 10_000:  # forget addresses that stopped trying
            self._failures = {k: v for k, v in self._failures.items() if v}


def client_key(request: Request) -> str:
    return request.client.host if request.client else "?"
