"""The web console over HTTP (no browser): signing in with the link the bot sends, sessions,
CSRF, the queue and its actions through the same casework as Telegram, scope and audit,
supervision, staff administration. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from bot.console.app import Console, build_app
from storage.console_models import CaseNote, ConsoleLoginToken, HandoffMessage
from storage.models import AuditEntry, Participant, Staff
from tests.desk import CM, CM2, OTHER_CM, RETURNEE, SUPERVISOR, Desk

BASE = "http://console.test"


class Browser:
    """One staff member's browser on the console (cookies kept)."""

    def __init__(self, desk: Desk, console: Console, chat: str) -> None:
        self.desk = desk
        self.chat = chat
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(console)),
                                        base_url=BASE, follow_redirects=False)

    async def link(self) -> str:
        [reply] = await self.desk.say(self.chat, "/console")
        found = re.search(r"(http://\S+/login\?token=\S+)", reply["text"])
        assert found, reply["text"]
        return found.group(1)

    async def open_link(self, link: str) -> httpx.Response:
        page = await self.client.get(link.removeprefix(BASE))
        assert page.status_code == 200
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert nonce and token
        return await self.client.post("/login", data={"token": token.group(1),
                                                      "nonce": nonce.group(1)})

    async def sign_in(self) -> None:
        response = await self.open_link(await self.link())
        assert response.status_code == 303 and response.headers["location"] == "/"

    async def csrf(self, path: str = "/") -> str:
        page = await self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text[:300]
        return found.group(1)


@pytest.fixture
async def console(desk: Desk) -> Console:
    desk.engine.casework.console_url = BASE
    return Console(desk.db, desk.engine.casework, desk.clock, secure=False)


async def browser(desk: Desk, console: Console, chat: str) -> Browser:
    b = Browser(desk, console, chat)
    await b.sign_in()
    return b


async def audit_rows(desk: Desk) -> list[AuditEntry]:
    async with desk.db.sessions() as s:
        return list((await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def test_the_link_signs_in_once_and_only_its_hash_is_kept(desk: Desk,
                                                                console: Console) -> None:
    b = Browser(desk, console, CM)
    link = await b.link()
    assert "5 minutes" in desk.inbox(CM)[-1]["text"]
    token = link.split("token=")[1]
    async with desk.db.sessions() as s:
        stored = (await s.scalars(select(ConsoleLoginToken))).all()
    assert [t.token_hash for t in stored] != [token] and token not in str(
        [t.token_hash for t in stored])
    # Opening the link (as a chat's link preview would) does not spend it.
    assert (await b.client.get(link.removeprefix(BASE))).status_code == 200
    first = await b.open_link(link)
    assert first.status_code == 303
    assert "hc_session" in first.headers["set-cookie"]
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    again = await Browser(desk, console, CM).open_link(link)
    assert again.status_code == 403  # used
    queue = await b.client.get("/")
    assert queue.status_code == 200 and "Dossiers ouverts" in queue.text  # CM reads French
    actions = [a.action for a in await audit_rows(desk)]
    assert "console.link_sent" in actions and "console.signed_in" in actions
    assert "console.sign_in_refused" in actions


async def test_an_expired_link_is_refused_and_links_are_rate_limited(desk: Desk,
                                                                     console: Console) -> None:
    b = Browser(desk, console, CM2)
    link = await b.link()
    desk.clock.advance(minutes=6)
    assert (await b.open_link(link)).status_code == 403
    for _ in range(4):
        await b.link()
    [reply] = await desk.say(CM2, "/console")
    assert "Too many login links" in reply["text"]
    assert "console.link_throttled" in [a.action for a in await audit_rows(desk)]


async def test_acknowledge_from_the_queue_tells_the_person(desk: Desk, console: Console
                                                           ) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    desk.new_for(RETURNEE)
    b = await browser(desk, console, SUPERVISOR)
    queue = await b.client.get("/")
    assert f'data-id="{escalation.id}"' in queue.text and "suicide risk" in queue.text
    csrf = await b.csrf()
    response = await b.client.post(f"/escalations/{escalation.id}/ack",
                                   data={"csrf": csrf, "next": "/"})
    assert response.status_code == 303
    await desk.sender.drain()
    [told] = desk.new_for(RETURNEE)
    assert told["text"].startswith("A person from the reintegration team has seen your message")
    [escalation] = await desk.escalations()
    assert escalation.status == "acknowledged"
    flashed = await b.client.get("/")
    assert f"Case #{escalation.id} acknowledged" in flashed.text
    actions = [a.action for a in await audit_rows(desk)]
    assert "queue.viewed" in actions and "escalation.acknowledged" in actions


async def test_a_form_without_its_csrf_token_is_refused(desk: Desk, console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    b = await browser(desk, console, CM)
    for data in ({"next": "/"}, {"csrf": "forged", "next": "/"}):
        response = await b.client.post(f"/escalations/{escalation.id}/ack", data=data)
        assert response.status_code == 403
    [escalation] = await desk.escalations()
    assert escalation.status == "open"
    assert "console.csrf_refused" in [a.action for a in await audit_rows(desk)]


async def test_another_countrys_case_by_url_is_not_allowed_and_audited(desk: Desk,
                                                                       console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    async with desk.db.sessions() as s:
        person = (await s.scalars(select(Participant))).one()
    b = await browser(desk, console, OTHER_CM)  # a case manager of AF
    page = await b.client.get(f"/case/{person.pseudonym}")
    assert page.status_code == 403 and "not allowed" in page.text
    csrf = await b.csrf()
    refused = await b.client.post(f"/escalations/{escalation.id}/ack",
                                  data={"csrf": csrf, "next": "/"})
    assert refused.status_code == 403
    assert (await b.client.get("/?country=SN")).status_code == 403
    assert f'data-id="{escalation.id}"' not in (await b.client.get("/")).text
    refusals = [a for a in await audit_rows(desk) if a.action == "staff.refused"]
    assert {r.details["attempt"] for r in refusals} >= {
        f"case:{person.pseudonym}", f"ack:{escalation.id}", "queue:SN"}


async def test_case_page_then_resolve_with_a_note_and_a_private_note(desk: Desk,
                                                                    console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    async with desk.db.sessions() as s:
        person = (await s.scalars(select(Participant))).one()
    b = await browser(desk, console, CM2)
    page = await b.client.get(f"/case/{person.pseudonym}")
    assert page.status_code == 200
    assert "I want to kill myself" in page.text and "Profile and consents" in page.text
    assert "phrase list" in page.text and "lexicon" not in page.text  # how it was read, in words
    csrf = await b.csrf(f"/case/{person.pseudonym}")
    empty = await b.client.post(f"/escalations/{escalation.id}/resolve",
                                data={"csrf": csrf, "note": " ", "next": "/"})
    assert empty.status_code == 303
    assert (await desk.escalations())[0].status == "open"
    await b.client.post(f"/escalations/{escalation.id}/resolve",
                        data={"csrf": csrf, "note": "Called, safe with family.", "next": "/"})
    [escalation] = await desk.escalations()
    assert escalation.status == "resolved"
    assert escalation.resolution_note == "Called, safe with family."
    await b.client.post(f"/case/{person.pseudonym}/notes",
                        data={"csrf": csrf, "text": "Prefers calls after 6 pm."})
    async with desk.db.sessions() as s:
        notes = (await s.scalars(select(CaseNote))).all()
    assert [n.text for n in notes] == ["Prefers calls after 6 pm."]
    page = await b.client.get(f"/case/{person.pseudonym}")
    assert "Prefers calls after 6 pm." in page.text and "Called, safe with family." in page.text


async def test_open_chat_from_the_browser_relays_and_keeps_the_transcript(
        desk: Desk, console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    desk.new_for(RETURNEE)
    b = await browser(desk, console, CM)
    csrf = await b.csrf()
    await b.client.post(f"/escalations/{escalation.id}/chat", data={"csrf": csrf, "next": "/"})
    await b.client.post("/chat/say", data={"csrf": csrf, "text": "I am here. Are you safe?"})
    await desk.sender.drain()
    texts = [m["text"] for m in desk.new_for(RETURNEE)]
    assert "I am here. Are you safe?" in texts
    await desk.say(RETURNEE, "yes, at my sister's")
    async with desk.db.sessions() as s:
        messages = (await s.scalars(select(HandoffMessage).order_by(HandoffMessage.id))).all()
    assert [(m.from_staff, m.text) for m in messages] == [
        (True, "I am here. Are you safe?"), (False, "yes, at my sister's")]
    async with desk.db.sessions() as s:
        person = (await s.scalars(select(Participant))).one()
    page = await b.client.get(f"/case/{person.pseudonym}")
    assert "I am here. Are you safe?" in page.text and "yes, at my sister&#39;s" in page.text
    await b.client.post("/chat/end", data={"csrf": csrf})
    await desk.sender.drain()
    assert any("ended the chat" in m["text"] for m in desk.new_for(RETURNEE))


async def test_an_idle_session_is_sent_to_sign_in(desk: Desk, console: Console) -> None:
    b = await browser(desk, console, CM)
    assert (await b.client.get("/")).status_code == 200
    desk.clock.advance(minutes=14)
    assert (await b.client.get("/")).status_code == 200  # activity keeps it open
    desk.clock.advance(minutes=16)
    response = await b.client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login?expired=1"
    assert (await b.client.get("/queue/rows", headers={"X-Console-Fetch": "1"})
            ).status_code == 401


async def test_logout_and_deactivation_end_sessions(desk: Desk, console: Console) -> None:
    await desk.join("adm", "admin", None)
    admin = await browser(desk, console, "adm")
    cm = await browser(desk, console, CM)
    assert (await cm.client.get("/")).status_code == 200
    async with desk.db.sessions() as s:
        pseudonym = (await s.scalars(select(Staff.pseudonym).where(Staff.chat_id == CM))).one()
    csrf = await admin.csrf("/staff")
    response = await admin.client.post(f"/staff/{pseudonym}/deactivate", data={"csrf": csrf})
    assert response.status_code == 303
    assert (await cm.client.get("/")).status_code == 303  # signed out at once
    assert "staff.deactivated" in [a.action for a in await audit_rows(desk)]
    [reply] = await desk.say(CM, "/console")  # no longer staff: no link
    assert "not allowed" in reply["text"]
    other = await browser(desk, console, SUPERVISOR)
    await other.client.post("/logout", data={"csrf": await other.csrf()})
    assert (await other.client.get("/")).status_code == 303


async def test_supervision_figures_and_audited_export(desk: Desk, console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    desk.clock.advance(minutes=20)  # past the 15-minute deadline, not acknowledged
    cm = await browser(desk, console, CM)
    assert (await cm.client.get("/supervision")).status_code == 403
    sup = await browser(desk, console, SUPERVISOR)
    page = await sup.client.get("/supervision")
    assert page.status_code == 200 and "Deadlines missed this week" in page.text
    assert re.search(r'id="breaches".*?<p class="big late">1</p>', page.text, re.S)
    assert (await sup.client.get("/supervision?country=AF")).status_code == 403
    export = await sup.client.get("/export/rss.csv")
    assert export.status_code == 200 and export.text.startswith("survey_id,")
    exported = [a for a in await audit_rows(desk) if a.action == "export.rss"]
    assert exported and exported[-1].actor.startswith("staff:S-")
    assert (await cm.client.get("/audit")).status_code == 403


async def test_arabic_pages_are_right_to_left(desk: Desk, console: Console) -> None:
    b = await browser(desk, console, CM)
    await b.client.get("/lang/ar?next=/")
    page = await b.client.get("/")
    assert 'dir="rtl"' in page.text and 'lang="ar"' in page.text
    assert "Open cases" not in page.text  # translated
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


async def test_escalation_timer_and_breach_show_in_the_queue(desk: Desk,
                                                             console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    b = await browser(desk, console, CM2)
    assert "breached" not in (await b.client.get("/queue/rows")).text
    desk.clock.advance(minutes=16)
    b2 = await browser(desk, console, CM2)
    rows = (await b2.client.get("/queue/rows")).text
    assert "breached" in rows and "data-deadline" in rows
    unassigned = (await b2.client.get("/queue/rows?assignee=mine")).text
    assert "No open cases." in unassigned


async def test_escalation_rows_of_other_filters(desk: Desk, console: Console) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    b = await browser(desk, console, CM2)
    assert "No open cases." in (await b.client.get("/queue/rows?tier=3")).text
    assert "No open cases." not in (await b.client.get("/queue/rows?tier=1")).text
    assert "No open cases." in (await b.client.get("/queue/rows?status=acknowledged")).text
    assert "No open cases." not in (await b.client.get(
        "/queue/rows?assignee=unassigned&category=suicide")).text


async def test_homecoming_console_serves_on_its_own(tmp_path, sqlite_template) -> None:
    """`homecoming console`: the console alone on the bot's database, until stopped."""
    import asyncio
    import shutil
    import socket

    from bot.console.server import standalone
    from bot.settings import load_settings

    shutil.copy(sqlite_template, tmp_path / "c.db")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
                             console_listen=f"127.0.0.1:{port}", data_dir=tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(standalone(settings, stop))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(200):
            try:
                response = await client.get("/login")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        assert response.status_code == 200 and "/console" in response.text
        assert (await client.get("/")).headers["location"] == "/login?expired=1"
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_live_refreshes_do_not_keep_an_idle_session_open(desk: Desk,
                                                               console: Console) -> None:
    b = await browser(desk, console, CM2)
    for _ in range(3):  # the open page refreshing itself, nobody touching it
        desk.clock.advance(minutes=4)
        assert (await b.client.get("/queue/rows")).status_code == 200
    desk.clock.advance(minutes=4)  # 16 minutes since the last thing the person did
    response = await b.client.get("/queue/rows", headers={"X-Console-Fetch": "1"})
    assert response.status_code == 401


async def test_deleting_a_person_erases_their_notes_and_transcripts(desk: Desk,
                                                                   console: Console) -> None:
    from storage import repository as repo

    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    b = await browser(desk, console, CM2)
    csrf = await b.csrf()
    async with desk.db.sessions() as s:
        person = (await s.scalars(select(Participant))).one()
    await b.client.post(f"/case/{person.pseudonym}/notes", data={"csrf": csrf, "text": "x"})
    await b.client.post(f"/escalations/{escalation.id}/chat", data={"csrf": csrf})
    await b.client.post("/chat/say", data={"csrf": csrf, "text": "Are you safe?"})
    assert await desk.count(CaseNote) == 1 and await desk.count(HandoffMessage) == 1
    record = await desk.db.run(repo.load_participant, "test", RETURNEE)
    await desk.db.run(repo.delete_participant, record, desk.clock())
    assert await desk.count(CaseNote) == 0 and await desk.count(HandoffMessage) == 0


async def test_admins_invite_change_roles_and_read_the_audit_log(desk: Desk,
                                                                 console: Console) -> None:
    sup = await browser(desk, console, SUPERVISOR)
    assert (await sup.client.get("/staff")).status_code == 403
    assert (await sup.client.get("/audit")).status_code == 403
    await desk.join("adm", "admin", None)
    admin = await browser(desk, console, "adm")
    csrf = await admin.csrf("/staff")
    page = await admin.client.post("/staff/invite", data={
        "csrf": csrf, "role": "case_manager", "country": "sn", "languages": "fr, en"})
    code = re.search(r"/start staff-(\S+?)</code>", page.text)
    assert code, page.text[-500:]
    [welcome] = await desk.say("newcm", f"/start staff-{code.group(1)}")
    assert "inscrit" in welcome["text"]  # joined, in French, for SN
    async with desk.db.sessions() as s:
        joined = (await s.scalars(select(Staff).where(Staff.chat_id == "newcm"))).one()
    assert (joined.role, joined.country) == ("case_manager", "SN")
    await admin.client.post(f"/staff/{joined.pseudonym}/role",
                            data={"csrf": csrf, "role": "supervisor"})
    async with desk.db.sessions() as s:
        assert (await s.get(Staff, joined.id)).role == "supervisor"
    log = await admin.client.get("/audit?action=staff.role")
    assert "staff.role_changed" in log.text and "staff.invited" not in log.text
    actions = [a.action for a in await audit_rows(desk)]
    assert {"staff.invited", "staff.role_changed", "audit.viewed", "staff.listed"} <= set(
        actions)
