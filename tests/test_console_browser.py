"""The console in a real browser (Debian's Chromium, driven by Selenium), against
`homecoming run` serving the console beside the bot, with the local Bot API server: sign in
through the link the bot sent, a new alert arriving live, acknowledging it (the returnee is
told on Telegram), a case resolved with a note, a forbidden case by URL, a form without its
CSRF token, an expired session; a plan drafted in chat completed on the case page and shown
back to the person in French and Arabic. Screenshots of the queue, a case, a case with its
plan and supervision, in English and Arabic, are written to var/screenshots/.

The bot and the console run on an event loop in a thread of their own, so that the
browser's blocking calls never hold them up. Without Chromium the tests skip, unless
``HOMECOMING_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.ratelimit import LocalRateLimiter
from bot.run import make_adapter, serve
from bot.settings import load_settings
from flows.casework.staff import invite_hash
from flows.engine.engine import utcnow
from storage import casework as casework_db
from storage.console_models import ConsoleSession
from storage.db import Database
from storage.models import Participant
from tests.fake_telegram import TOKEN, FakeTelegram

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
REQUIRE = os.environ.get("HOMECOMING_REQUIRE_BROWSER") == "1"
SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
SUPERVISOR, OTHER_CM, RETURNEE, FRENCH = 7001, 7002, 7100, 7101

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - selenium is a dev dependency
    webdriver = None  # type: ignore[assignment]


def _missing() -> str | None:
    if webdriver is None:
        return "selenium is not installed"
    for path in (CHROMIUM, DRIVER):
        if not (Path(path).exists() or shutil.which(Path(path).name)):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


class Stack:
    """`homecoming run` with the console, the fake Bot API server, on a loop of their own."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeTelegram()
        self.db_url = f"sqlite+aiosqlite:///{tmp / 'console.db'}"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stop_event: asyncio.Event | None = None
        self.task: Any = None

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 20) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        async def wrapped() -> Any:
            return fn(*args)
        return self.run(wrapped())

    async def _start(self) -> None:
        await self.fake.start()
        self.stop_event = asyncio.Event()
        settings = load_settings(
            database_url=self.db_url, telegram_token=TOKEN, telegram_api_url=self.fake.url,
            console_with_bot=True, console_listen=f"127.0.0.1:{self.port}",
            console_secure_cookies=False, console_live_seconds=0.3)
        self.task = asyncio.create_task(serve(
            settings, make_adapter(settings), self.stop_event, sender_poll=0.05,
            limiter=LocalRateLimiter(per_second=200, per_chat_per_second=50)))
        await self.fake.wait_for(lambda: any(c.method == "deleteWebhook"
                                             for c in self.fake.calls), within=30)

    def start(self) -> None:
        self.run(self._start(), timeout=60)

    def stop(self) -> None:
        async def _stop() -> None:
            assert self.stop_event is not None
            self.stop_event.set()
            await asyncio.wait_for(self.task, 20)
            await self.fake.stop()
        self.run(_stop(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        async def once() -> Any:
            database = Database(self.db_url)
            try:
                return await database.run(fn, *args, **kwargs)
            finally:
                await database.dispose()
        return self.run(once())

    def say(self, chat: int, text: str) -> None:
        self.call(self.fake.send_text, chat, text)

    def press(self, chat: int, data: str) -> None:
        self.call(self.fake.press, chat, data)

    def texts(self, chat: int) -> list[str]:
        return self.call(self.fake.texts, chat)

    def wait_reply(self, chat: int, count: int, within: float = 15) -> list[str]:
        deadline = time.monotonic() + within
        while len(texts := self.texts(chat)) < count:
            assert time.monotonic() < deadline, f"no reply to {chat}: {texts[-2:]}"
            time.sleep(0.05)
        return texts

    def join(self, chat: int, role: str, country: str | None) -> None:
        code = f"browser-{chat}"
        self.db(casework_db.create_invite, code_hash=invite_hash(code), role=role,
                country=country, languages=["en"], now=utcnow(), valid_for=timedelta(days=1))
        before = len(self.texts(chat))
        self.say(chat, f"/start staff-{code}")
        assert "registered as" in self.wait_reply(chat, before + 1)[-1]

    def onboard(self, chat: int, lang: str = "en") -> None:
        """A returnee of Senegal, through the bot as a person would."""
        steps = [("say", "/start"), ("press", f"lang:{lang}"), ("press", "next"),
                 ("press", "yes"), ("press", "yes"), ("say", "Senegal"), ("press", "yes"),
                 ("say", "14/03/2026"), ("press", "pick:2026-03-14")]
        for n, (kind, value) in enumerate(steps, start=1):
            (self.say if kind == "say" else self.press)(chat, value)
            self.wait_reply(chat, n)

    def answer(self, chat: int, kind: str, value: str, expect: str) -> str:
        """Say or press, then wait for the bot's reply holding ``expect``."""
        before = len(self.texts(chat))
        (self.say if kind == "say" else self.press)(chat, value)
        deadline = time.monotonic() + 15
        while True:
            found = [t for t in self.texts(chat)[before:] if expect in t]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no {expect!r} for {chat}"
            time.sleep(0.05)

    def login_link(self, chat: int) -> str:
        before = len(self.texts(chat))
        self.say(chat, "/console")
        found = re.search(r"(http://\S+/login\?token=\S+)", self.wait_reply(chat, before + 1)[-1])
        assert found
        return found.group(1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    problem = _missing()
    if problem:
        if REQUIRE:
            pytest.fail(problem + " and HOMECOMING_REQUIRE_BROWSER=1")
        pytest.skip(problem)
    running = Stack(tmp_path_factory.mktemp("console"))
    running.start()
    running.join(SUPERVISOR, "supervisor", "SN")
    running.join(OTHER_CM, "case_manager", "AF")
    running.onboard(RETURNEE)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--lang=en"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait(driver: Any, condition: Callable[[Any], Any], within: float = 10) -> Any:
    return WebDriverWait(driver, within, poll_frequency=0.05).until(condition)


def click(driver: Any, css: str) -> None:
    """Click the first match; the live queue may replace its rows meanwhile: find it again."""
    def clicked(d: Any) -> bool:
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
        except (StaleElementReferenceException, NoSuchElementException):
            return False
        return True
    wait(driver, clicked)


def first_case_url(driver: Any) -> str:
    return wait(driver, lambda d: d.execute_script(
        "var a = document.querySelector('tr[data-id] td a'); return a && a.href;"))


def shot(driver: Any, name: str) -> None:
    driver.set_window_size(1280, max(900, driver.execute_script(
        "return document.body.scrollHeight") + 40))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def sign_in(stack: Stack, driver: Any, chat: int) -> None:
    driver.delete_all_cookies()
    driver.get(stack.login_link(chat))
    driver.find_element(By.ID, "sign-in").click()
    wait(driver, lambda d: d.find_elements(By.ID, "rows"))


def test_sign_in_with_the_link_the_bot_sent(stack: Stack, browser: Any) -> None:
    sign_in(stack, browser, SUPERVISOR)
    assert browser.current_url == f"{stack.url}/"
    assert "Open cases" in browser.find_element(By.TAG_NAME, "h1").text
    cookie = browser.get_cookie("hc_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_a_new_alert_arrives_live_and_acknowledging_tells_the_returnee(
        stack: Stack, browser: Any) -> None:
    assert not browser.find_elements(By.CSS_SELECTOR, "tr[data-id]")
    url = browser.current_url
    stack.say(RETURNEE, "I want to kill myself")
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-id]"))[0]
    assert browser.current_url == url  # no reload
    assert "suicide risk" in row.text
    wait(browser, lambda d: re.search(r"\d+:\d\d", d.find_element(
        By.CSS_SELECTOR, ".countdown").text))  # counting down
    shot(browser, "queue-en")
    told = len(stack.texts(RETURNEE))
    click(browser, "tr[data-id] button.ack")
    wait(browser, lambda d: "acknowledged" in d.find_element(By.CLASS_NAME, "flash").text)
    texts = stack.wait_reply(RETURNEE, told + 1)
    assert any("has seen your message" in t for t in texts[told:])


def test_open_the_case_and_resolve_it_with_a_note(stack: Stack, browser: Any) -> None:
    browser.get(first_case_url(browser))
    wait(browser, lambda d: d.find_elements(By.ID, "escalations"))
    assert "I want to kill myself" in browser.find_element(By.ID, "escalations").text
    shot(browser, "case-en")
    form = browser.find_element(By.CSS_SELECTOR, "#escalations form.resolve")
    form.find_element(By.NAME, "note").send_keys("Called; safe with her sister tonight.")
    form.find_element(By.CSS_SELECTOR, "button.resolve-button").click()
    wait(browser, lambda d: "resolved" in d.find_element(By.CLASS_NAME, "flash").text)
    assert "Called; safe with her sister tonight." in browser.find_element(
        By.ID, "escalations").text


def test_supervision_and_the_arabic_pages(stack: Stack, browser: Any) -> None:
    browser.get(f"{stack.url}/supervision")
    assert browser.find_element(By.ID, "open-by-tier")
    shot(browser, "supervision-en")
    browser.get(f"{stack.url}/lang/ar?next=/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    stack.say(RETURNEE, "I feel hopeless, nothing matters")  # something in the queue
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-id]"), within=15)
    shot(browser, "queue-ar")
    browser.get(first_case_url(browser))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    shot(browser, "case-ar")
    browser.get(f"{stack.url}/supervision")
    shot(browser, "supervision-ar")
    browser.get(f"{stack.url}/lang/en?next=/")


def test_a_form_without_its_csrf_token_is_refused(stack: Stack, browser: Any) -> None:
    browser.get(f"{stack.url}/")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-id] button.ack"))
    browser.execute_script(
        "var f = document.querySelector('tr[data-id] button.ack').form;"
        "f.querySelector('input[name=csrf]').remove(); f.submit();")
    wait(browser, lambda d: "This form has expired" in d.page_source)
    browser.get(f"{stack.url}/")
    assert browser.find_elements(By.CSS_SELECTOR, "tr[data-id] button.ack")  # still open


def test_another_countrys_case_by_url_is_not_allowed(stack: Stack, browser: Any) -> None:
    browser.get(f"{stack.url}/")
    case_url = first_case_url(browser)
    sign_in(stack, browser, OTHER_CM)  # a case manager of Afghanistan
    browser.get(case_url)
    assert "not allowed" in browser.find_element(By.CLASS_NAME, "message").text


def test_a_plan_drafted_in_chat_is_completed_in_the_console_and_shown_back(
        stack: Stack, browser: Any) -> None:
    """The returnee writes their objectives in My plan (in French); the supervisor
    completes the plan on the case page; My plan then shows it, in French and in Arabic."""
    stack.onboard(FRENCH, "fr")
    person = stack.db(lambda conn: conn.execute(select(Participant.pseudonym).where(
        Participant.chat_id == str(FRENCH))).scalar_one())
    stack.answer(FRENCH, "say", "/myplan", "plan")
    stack.answer(FRENCH, "press", "write", "travail et vos revenus")
    stack.say(FRENCH, "Ouvrir un atelier de couture à Thiès")
    stack.answer(FRENCH, "press", "skip", "famille")
    stack.answer(FRENCH, "say", "Reprendre le football le dimanche",
                 "Voici ce que vous avez écrit")
    stack.answer(FRENCH, "press", "save", "C'est noté dans votre plan.")
    sign_in(stack, browser, SUPERVISOR)
    browser.get(f"{stack.url}/case/{person}")
    assert "Ouvrir un atelier de couture à Thiès" in browser.find_element(By.ID, "plan").text
    browser.find_element(By.CSS_SELECTOR, "#plan-form > summary").click()
    form = browser.find_element(By.CSS_SELECTOR, "form.plan-form")
    form.find_element(By.NAME, "economic_what_0").send_keys("Trouver un local")
    form.find_element(By.NAME, "economic_who_0").send_keys("moi, avec le bureau")
    form.find_element(By.NAME, "economic_cost").send_keys("450")
    browser.execute_script(
        "var f = arguments[0];"
        "f.querySelector('[name=economic_by_0]').value = '2026-12-31';"
        "f.querySelector('[name=plan_date]').value = '2026-11-24';"
        "f.querySelector('[name=economic_assistance][value=microbusiness]').checked = true;",
        form)
    form.find_element(By.NAME, "exit_strategy").send_keys("Suivi clos après le suivi final")
    form.find_element(By.CSS_SELECTOR, "button.save-plan").click()
    wait(browser, lambda d: "Version 2 of the plan saved" in d.find_element(
        By.CLASS_NAME, "flash").text)
    current = browser.find_element(By.ID, "plan-current").text
    assert "Trouver un local" in current and "a small business of your own" in current
    shot(browser, "case-plan-en")
    browser.get(f"{stack.url}/lang/ar?next=/case/{person}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert "Trouver un local" in browser.find_element(By.ID, "plan-current").text
    shot(browser, "case-plan-ar")
    browser.get(f"{stack.url}/lang/en?next=/")
    shown = stack.answer(FRENCH, "say", "/myplan", "version 2")
    assert "Votre plan de réintégration, version 2" in shown
    assert "• Trouver un local (moi, avec le bureau, pour le 31 décembre 2026)" in shown
    assert "“Ouvrir un atelier de couture à Thiès”" in shown
    stack.answer(FRENCH, "say", "/language", "")
    stack.answer(FRENCH, "press", "lang:ar", "")
    shown = stack.answer(FRENCH, "say", "/myplan", "النسخة 2")
    assert "خطتك لإعادة الإدماج، النسخة 2" in shown and "– مشروع صغير خاص بك" in shown
    assert "Trouver un local" in shown  # the words as written


def test_an_expired_session_is_sent_to_sign_in(stack: Stack, browser: Any) -> None:
    sign_in(stack, browser, SUPERVISOR)
    long_ago = utcnow() - timedelta(hours=1)
    stack.db(lambda conn: conn.execute(update(ConsoleSession.__table__).values(
        last_seen_at=long_ago)))
    browser.get(f"{stack.url}/supervision")
    wait(browser, lambda d: "/login?expired=1" in d.current_url)
    assert "Your session has ended" in browser.page_source
