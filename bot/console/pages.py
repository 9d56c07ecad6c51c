"""Sign-in, the queue (with its live rows), the case page, and the actions a case manager
takes from either: acknowledge, claim, open chat, resolve, a note, a message in the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bot import charts
from bot.console import auth, casefile
from bot.console.app import Console, SignedOut, route
from flows.casework.login import Session
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from storage.db import Connection

PING_EVERY = 15.0  # seconds: a comment on the live stream, so proxies keep it open


def routes(c: Console) -> list[Route]:
    async def login_page(request: Request) -> Response:
        token = request.query_params.get("token", "")
        nonce = auth.new_login_nonce()
        response = c.page(request, "login.html", None, token=token, nonce=nonce,
                          expired=request.query_params.get("expired") == "1")
        auth.set_cookie(response, auth.LOGIN_COOKIE, nonce, secure=c.secure, max_age=600)
        return response

    async def login(request: Request) -> Response:
        """Opening the link shows a button; only pressing it spends the link (a chat's
        link preview fetches the page, and must not sign anybody in)."""
        form = await c.form(request)
        key = auth.client_key(request)
        if c.limiter.blocked(key):
            return c.page(request, "message.html", None, status=429, message=Msg(N_(
                "Too many attempts to sign in. Please wait a few minutes.")))
        if not auth.same(form.get("nonce"), request.cookies.get(auth.LOGIN_COOKIE, "")):
            c.limiter.failed(key)
            return c.page(request, "message.html", None, status=403, message=Msg(N_(
                "This form has expired. Please go back, reload the page and try again.")))
        signed = await c.database.run(c.casework.sign_in, form.get("token", "")[:128],
                                      c.clock())
        if signed is None:
            c.limiter.failed(key)
            return c.page(request, "login.html", None, status=403, token="", nonce="",
                          refused=True)
        response = RedirectResponse("/", status_code=303)
        auth.set_cookie(response, auth.SESSION_COOKIE, signed.secret, secure=c.secure)
        auth.clear_cookie(response, auth.LOGIN_COOKIE, secure=c.secure)
        return response

    async def logout(request: Request) -> Response:
        form = await c.form(request)
        with contextlib.suppress(SignedOut):  # already signed out: nothing to end
            await c.unit(request, lambda conn, s, now: c.casework.sign_out(conn, s, now),
                         csrf=form.get("csrf", ""))
        response = RedirectResponse("/login", status_code=303)
        auth.clear_cookie(response, auth.SESSION_COOKIE, secure=c.secure)
        return response

    def _queue(conn: Connection, s: Session, now: Any, params: dict[str, str], page: int,
               audit: bool) -> Any:  # audit: a page opened, not its live refresh
        return c.casework.console_queue(conn, s.staff, params, now, page=page, audit=audit)

    async def queue(request: Request) -> Response:
        params = dict(request.query_params)
        page = _page(params)
        session, view = await c.unit(request, _queue, params, page, True)
        if view is None:
            return c.refused(request, session)
        return c.page(request, "queue.html", session, view=view, params=params, page=page)

    async def queue_rows(request: Request) -> Response:
        """The rows alone, for the live page (its views were audited when it opened)."""
        params = dict(request.query_params)
        session, view = await c.unit(request, _queue, params, _page(params), False,
                                     touch=False)
        if view is None:
            return c.refused(request, session)
        return c.page(request, "_rows.html", session, view=view, params=params)

    async def events(request: Request) -> Response:
        """Server-sent events: "queue" when the queue changed (and once on connecting).
        The stream ends with the idle timeout; the page then finds itself signed out."""
        await c.unit(request, lambda conn, s, now: None, touch=False)
        listener = c.watch.listen()
        limit = c.idle.total_seconds()

        async def stream() -> AsyncIterator[str]:
            loop = asyncio.get_running_loop()
            ends = loop.time() + limit
            try:
                yield "retry: 3000\nevent: queue\ndata: hello\n\n"
                while loop.time() < ends:
                    with contextlib.suppress(TimeoutError):
                        kind = await asyncio.wait_for(
                            listener.get(), min(PING_EVERY, max(0.1, ends - loop.time())))
                        yield f"event: {kind}\ndata: changed\n\n"
                        continue
                    yield ": ping\n\n"
            finally:
                c.watch.leave(listener)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def case(request: Request) -> Response:
        pseudonym = request.path_params["person"].upper()
        def run(conn: Connection, s: Session, now: Any) -> Any:
            data = c.casework.console_case(conn, s.staff, pseudonym, now)
            return data, (casefile.gather(c, conn, s, data.person, now) if data else None)

        session, (data, file) = await c.unit(request, run)
        if data is None:
            return c.refused(request, session)
        return c.page(request, "case.html", session, case=data, file=file, **casefile.labels())

    async def chart(request: Request) -> Response:
        pseudonym = request.path_params["person"].upper()
        kind = request.path_params["kind"]
        _, payload = await c.unit(request, lambda conn, s, now: c.casework.chart_payload(
            conn, s.staff, pseudonym, kind, now))
        if payload is None:
            return Response(status_code=404)
        return Response(await charts.render_async(payload), media_type="image/png")

    async def act(request: Request) -> Response:
        form = await c.form(request)
        escalation = int(request.path_params["id"])
        action = request.path_params["action"]
        session, (allowed, message) = await c.unit(
            request, lambda conn, s, now: c.casework.console_act(
                conn, s.staff, escalation, action, form.get("note", "")[:4000], now),
            csrf=form.get("csrf", ""))
        if not allowed:
            return c.refused(request, session)
        return c.back(request, form.get("next", "/"), session, message)

    async def note(request: Request) -> Response:
        form = await c.form(request)
        pseudonym = request.path_params["person"].upper()
        session, message = await c.unit(request, lambda conn, s, now: c.casework.add_case_note(
            conn, s.staff, pseudonym, form.get("text", "")[:4000], now), csrf=form.get("csrf", ""))
        return c.back(request, f"/case/{pseudonym}", session, message)

    async def say(request: Request) -> Response:
        form = await c.form(request)
        session, message = await c.unit(request, lambda conn, s, now: c.casework.console_say(
            conn, s.staff, form.get("text", "")[:4000], now), csrf=form.get("csrf", ""))
        return c.back(request, form.get("next", "/"), session, message)

    async def end_chat(request: Request) -> Response:
        form = await c.form(request)
        session, message = await c.unit(
            request, lambda conn, s, now: c.casework.console_end_chat(conn, s.staff, now),
            csrf=form.get("csrf", ""))
        return c.back(request, form.get("next", "/"), session, message)

    async def language(request: Request) -> Response:
        code = request.path_params["code"]
        response = c.back(request, request.query_params.get("next", "/"), None)
        if code in c.catalogs.languages:
            auth.set_cookie(response, auth.LANG_COOKIE, code, secure=c.secure,
                            max_age=365 * 86400)
        return response

    async def healthz(_request: Request) -> Response:
        return HTMLResponse("ok")

    return [
        route("/login", login_page), route("/login", login, ["POST"]),
        route("/logout", logout, ["POST"]),
        route("/", queue), route("/queue/rows", queue_rows), route("/events", events),
        route("/case/{person}", case), route("/case/{person}/chart/{kind}.png", chart),
        route("/case/{person}/notes", note, ["POST"]),
        route("/escalations/{id:int}/{action}", act, ["POST"]),
        route("/chat/say", say, ["POST"]), route("/chat/end", end_chat, ["POST"]),
        route("/lang/{code}", language), route("/healthz", healthz),
    ]


def _page(params: dict[str, str]) -> int:
    raw = params.get("page", "0")
    return min(int(raw), 1000) if raw.isdigit() else 0
