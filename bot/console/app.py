"""The web console as a Starlette application: server-rendered pages (Jinja2), forms that
post, live updates by server-sent events. It is a second face of casework: every page and
action is one unit of work calling ``flows/casework`` (the same methods as the Telegram
commands and buttons), which checks role and scope and writes the audit log.

``Console`` holds what the routes share; the routes are in ``pages.py`` (sign-in, queue,
case, actions) and ``admin.py`` (supervision, audit log, staff, exports).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.console import auth, svg
from bot.console.auth import LoginLimiter
from bot.console.live import QueueWatch
from flows.casework.casework import Casework
from flows.casework.console_queries import NOT_ALLOWED
from flows.casework.login import Session
from flows.engine.events import Msg
from flows.l10n.i18n import N_, Catalogs, autonym
from storage.db import Connection, Database

HERE = Path(__file__).parent
RTL = frozenset({"ar", "fa"})
T = TypeVar("T")


class SignedOut(Exception):
    """No live session: the browser goes to the sign-in page."""


class CsrfRefused(Exception):
    """A form without this session's CSRF token."""


@dataclass
class Console:
    database: Database
    casework: Casework
    clock: Callable[[], datetime]
    idle: timedelta = timedelta(minutes=15)
    secure: bool = True
    live_every: float = 2.0
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    templates: Environment = field(init=False)
    watch: QueueWatch = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]))
        self.templates.globals.update(svg=svg, quote=quote)
        self.watch = QueueWatch(lambda: self.database.run(self.casework.queue_signature),
                                self.live_every)

    @property
    def catalogs(self) -> Catalogs:
        return self.casework.catalogs

    # Units of work with the session ----------------------------------------------------

    async def unit(self, request: Request, fn: Callable[..., T], *args: Any,
                   csrf: str | None = None, touch: bool = True) -> tuple[Session, T]:
        """``fn(conn, session, now, *args)`` in one transaction with the session check
        (and, for a form, the CSRF check): signed out or refused, nothing is done.
        ``touch=False`` for what a page does by itself (live refreshes): not activity."""
        secret = request.cookies.get(auth.SESSION_COOKIE, "")
        chosen = request.cookies.get(auth.LANG_COOKIE)

        def run(conn: Connection) -> tuple[Session | None, Any]:
            now = self.clock()
            session = self.casework.session(conn, secret, self.idle, now, touch=touch)
            if session is None:
                return None, None
            if chosen and chosen in self.catalogs.languages:  # the page's language, chosen
                session = replace(session, staff=replace(session.staff, locale=chosen))
            if csrf is not None and not auth.same(csrf, session.csrf):
                self.casework._audit(conn, session.staff, "console.csrf_refused", now,
                                     path=request.url.path[:64])
                return session, CsrfRefused()
            return session, fn(conn, session, now, *args)

        session, result = await self.database.run(run)
        if session is None:
            raise SignedOut
        if isinstance(result, CsrfRefused):
            raise result
        return session, result

    async def form(self, request: Request) -> dict[str, str]:
        data = await request.form()
        return {k: v for k, v in data.items() if isinstance(v, str)}

    # Rendering -------------------------------------------------------------------------

    def locale_for(self, request: Request, session: Session | None) -> str:
        chosen = request.cookies.get(auth.LANG_COOKIE)
        if chosen and chosen in self.catalogs.languages:
            return chosen
        if session is not None:
            return session.staff.locale
        return self.catalogs.best_match(request.headers.get("accept-language", "")[:2])

    def page(self, request: Request, name: str, session: Session | None, *,
             status: int = 200, **context: Any) -> HTMLResponse:
        locale = self.locale_for(request, session)
        catalogs = self.catalogs

        def gettext(msgid: str) -> str:
            return catalogs.gettext(locale, msgid)

        def ngettext(singular: str, plural: str, n: int) -> str:
            return catalogs.ngettext(locale, singular, plural, n)

        def msg(value: Msg) -> str:
            return catalogs.render(locale, value)

        flash = unquote(request.cookies.get(auth.FLASH_COOKIE, ""))
        html = self.templates.get_template(name).render(
            _=gettext, ngettext=ngettext, msg=msg, locale=locale,
            direction="rtl" if locale in RTL else "ltr", session=session,
            staff=session.staff if session else None, request=request, flash=flash,
            languages=[(code, autonym(code)) for code in catalogs.languages],
            now=self.clock(), **context)
        response = HTMLResponse(html, status_code=status)
        if flash:
            auth.clear_cookie(response, auth.FLASH_COOKIE, secure=self.secure)
        return response

    def back(self, request: Request, to: str, session: Session | None,
             message: Msg | None = None) -> RedirectResponse:
        """After a form: back to a page of ours (never elsewhere), with what happened."""
        if not to.startswith("/") or to.startswith("//"):
            to = "/"
        response = RedirectResponse(to, status_code=303)
        if message is not None:
            text = self.catalogs.render(self.locale_for(request, session), message)
            auth.set_cookie(response, auth.FLASH_COOKIE, quote(text), secure=self.secure,
                            max_age=60)
        return response

    def refused(self, request: Request, session: Session | None) -> HTMLResponse:
        return self.page(request, "message.html", session, status=403,
                         message=Msg(NOT_ALLOWED))


def build_app(console: Console) -> SecurityHeaders:
    from bot.console import admin, casefile, pages

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        console.watch.start()
        try:
            yield
        finally:
            await console.watch.stop()

    async def on_signed_out(request: Request, _exc: Exception) -> Response:
        if request.headers.get("x-console-fetch") or request.url.path == "/events":
            return Response("signed out", status_code=401)
        return RedirectResponse("/login?expired=1", status_code=303)

    async def on_csrf(request: Request, _exc: Exception) -> Response:
        return console.page(request, "message.html", None, status=403,
                            message=Msg(N_("This form has expired. Please go back, reload "
                                           "the page and try again.")))

    routes = [*pages.routes(console), *admin.routes(console), *casefile.routes(console),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={SignedOut: on_signed_out, CsrfRefused: on_csrf})
    app.state.console = console
    return SecurityHeaders(app)


HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # A login link is in the URL of the sign-in page: it must not travel on as a referrer.
    (b"referrer-policy", b"no-referrer"),
    # Pages hold people's words: never kept in a shared or browser cache.
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Plain ASGI (it must not buffer the live stream): the same headers on every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # app.state, app.routes, ... for callers
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def route(path: str, endpoint: Callable[..., Any], methods: list[str] | None = None) -> Route:
    return Route(path, endpoint, methods=methods or ["GET"])
