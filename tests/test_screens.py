"""Every screen of every flow renders in every shipped language, with nothing untranslated
and every placeholder filled (a walk over all states with a sample person)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache

import pytest
from babel.messages.pofile import read_po

from flows.engine.events import Event, EventKind, Msg, ParticipantView
from flows.engine.flow import Flow, Turn
from flows.engine.registry import FLOWS
from flows.l10n.countries import CountryPacks
from flows.l10n.i18n import DEFAULT_LOCALES_DIR, Catalogs

CATALOGS = Catalogs()
LANGUAGES = [lang for lang in CATALOGS.languages if lang != "en"]
PERSON = ParticipantView(pseudonym="R-7KQ2MX9P", locale="en", country="SN", returned=True,
                         return_date=date(2026, 3, 14), onboarded=True, paused=False,
                         consents={"follow_up": True, "case_manager_sharing": True},
                         last_mood=3, checklist={"medicine": True})
SAMPLE_DATA = {"country": "SN", "topic": "health", "page": 1, "needs": ["work"]}


@cache
def translated(lang: str) -> frozenset[str]:
    path = DEFAULT_LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fp:
        return frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fp)
                         if m.id and m.string and "fuzzy" not in m.flags)


def msgids(msg: Msg | str) -> list[str]:
    if isinstance(msg, str):
        return []
    found = [msg.msgid]
    for value in msg.params.values():
        if isinstance(value, Msg):
            found.extend(msgids(value))
    return found


def screens() -> list[tuple[str, str]]:
    return [(name, state) for name, flow in FLOWS.items() for state in flow.state_names()]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("flow_name", "state"), screens())
def test_screen_renders(lang: str, flow_name: str, state: str) -> None:
    turn = Turn(replace(PERSON, locale=lang), Event("test", "1", EventKind.TRIGGER),
                datetime(2026, 11, 25, tzinfo=UTC), dict(SAMPLE_DATA),
                languages=tuple(CATALOGS.languages), pack=CountryPacks.load().get("SN"))
    flow: Flow = FLOWS[flow_name](turn, state)
    prompt = flow.prompt()
    texts = [prompt.text, *(b.label for b in prompt.buttons)]
    missing = [m for t in texts for m in msgids(t) if m not in translated(lang)]
    assert missing == [], f"{flow_name}.{state} in {lang}: untranslated {missing}"
    for text in texts:
        rendered = CATALOGS.render(lang, text)
        assert rendered.strip()
        assert not re.search(r"\{\w*\}", rendered), rendered  # every placeholder filled


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_survey_question_renders(lang: str) -> None:
    from flows.research.rss import ASKED

    for number in ASKED:
        turn = Turn(replace(PERSON, locale=lang), Event("test", "1", EventKind.TRIGGER),
                    datetime(2026, 11, 25, tzinfo=UTC), {"item": number, "answers": {}},
                    languages=tuple(CATALOGS.languages))
        prompt = FLOWS["survey"](turn, "question").prompt()
        texts = [prompt.text, *(b.label for b in prompt.buttons)]
        missing = [m for t in texts for m in msgids(t) if m not in translated(lang)]
        assert missing == [], f"survey item {number} in {lang}: untranslated {missing}"
        rendered = CATALOGS.render(lang, prompt.text)
        assert f"{number} " in rendered or lang in ("fa", "ar")  # the item number itself
