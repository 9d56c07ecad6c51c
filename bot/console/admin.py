"""Supervision figures, exports (audited), the audit log and staff management."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.app import Console, route
from flows.casework.staff import StaffView
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from flows.research.case_exports import EXPORTS as CASE_EXPORTS
from flows.research.exports import RSS_COLUMNS, WMODEL_COLUMNS


def routes(c: Console) -> list[Route]:
    async def supervision(request: Request) -> Response:
        country = request.query_params.get("country")
        session, figures = await c.unit(request, lambda conn, s, now: c.casework.figures(
            conn, s.staff, country, now))
        if figures is None:
            return c.refused(request, session)
        return c.page(request, "supervision.html", session, figures=figures)

    async def export(request: Request) -> Response:
        kind = request.path_params["kind"]
        country = request.query_params.get("country")
        session, rows = await c.unit(request, lambda conn, s, now: c.casework.export(
            conn, s.staff, kind, country, now))
        if rows is None:
            return c.refused(request, session)
        out = io.StringIO()
        columns = CASE_EXPORTS[kind][1] if kind in CASE_EXPORTS else (
            RSS_COLUMNS if kind == "rss" else WMODEL_COLUMNS)
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{kind}.csv"'})

    async def audit_log(request: Request) -> Response:
        filters = dict(request.query_params)
        session, rows = await c.unit(request, lambda conn, s, now: c.casework.audit_log(
            conn, s.staff, filters, now))
        if rows is None:
            return c.refused(request, session)
        return c.page(request, "audit.html", session, rows=rows, filters=filters)

    async def staff_page(request: Request, code: str = "", status: int = 200) -> Response:
        session, rows = await c.unit(request, lambda conn, s, now: c.casework.staff_members(
            conn, s.staff, now))
        if rows is None:
            return c.refused(request, session)
        members = [StaffView.of(row, c.catalogs) for row in rows]
        active = {row.id: row.active for row in rows}
        return c.page(request, "staff.html", session, members=members, active=active,
                      languages_of={row.id: ", ".join(row.languages or []) for row in rows},
                      code=code, status=status)

    async def staff_list(request: Request) -> Response:
        return await staff_page(request)

    async def invite(request: Request) -> Response:
        form = await c.form(request)
        languages = [x.strip() for x in form.get("languages", "en").split(",") if x.strip()]
        session, code = await c.unit(request, lambda conn, s, now: c.casework.invite_staff(
            conn, s.staff, form.get("role", ""), form.get("country"), languages[:6], now),
            csrf=form.get("csrf", ""))
        if code is None:
            if session.staff.role != "admin":
                return c.refused(request, session)
            return c.back(request, "/staff", session, Msg(N_(
                "Choose a role, and a two-letter country for case managers and supervisors.")))
        return await staff_page(request, code=code)

    async def change(request: Request) -> Response:
        form = await c.form(request)
        pseudonym = request.path_params["pseudonym"]
        what = request.path_params["what"]
        role = form.get("role") if what == "role" else None
        active = {"deactivate": False, "activate": True}.get(what)
        session, done = await c.unit(request, lambda conn, s, now: c.casework.change_staff(
            conn, s.staff, pseudonym, role=role, active=active, now=now),
            csrf=form.get("csrf", ""))
        if not done:
            if session.staff.role != "admin":
                return c.refused(request, session)
            return c.back(request, "/staff", session, Msg(N_("That change cannot be made.")))
        return c.back(request, "/staff", session, Msg(N_("Saved.")))

    return [
        route("/supervision", supervision), route("/export/{kind}.csv", export),
        route("/audit", audit_log), route("/staff", staff_list),
        route("/staff/invite", invite, ["POST"]),
        route("/staff/{pseudonym}/{what}", change, ["POST"]),
    ]
