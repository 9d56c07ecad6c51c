"""The main menu, and the small flows it opens: language, pausing messages, a person, another
language; privacy is in privacy.py."""

from __future__ import annotations

from typing import Any

from flows.conversations.common import BACK, NO, YES, request_person
from flows.conversations.survey import expire_if_stale
from flows.engine.events import Button, Msg, SetPaused, SetProfile
from flows.engine.flow import Flow, Prompt
from flows.l10n.i18n import N_, autonym


class Menu(Flow):
    name = "menu"
    states: list[dict[str, Any]] = [{"name": "main"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "info", "source": "main", "dest": None, "after": "open_info"},
        {"trigger": "wmodel", "source": "main", "dest": None, "after": "open_wmodel"},
        {"trigger": "survey", "source": "main", "dest": None, "after": "open_survey"},
        {"trigger": "plan", "source": "main", "dest": None, "after": "open_plan"},
        {"trigger": "person", "source": "main", "dest": None, "after": "ask_for_person"},
        {"trigger": "language", "source": "main", "dest": None, "after": "open_language"},
        {"trigger": "privacy", "source": "main", "dest": None, "after": "open_privacy"},
        {"trigger": "pause", "source": "main", "dest": None, "after": "open_pause"},
        {"trigger": "resume", "source": "main", "dest": None, "after": "resume"},
    ]

    def prompt_main(self) -> Prompt:
        pause = (
            Button("resume", Msg(N_("Resume messages")))
            if self.participant.paused
            else Button("pause", Msg(N_("Pause messages")))
        )
        return Prompt(
            Msg(N_("What would you like to do?")),
            (
                Button("info", Msg(N_("Information"))),
                Button("person", Msg(N_("Talk to a person"))),
                Button("wmodel", Msg(N_("My ups and downs"))),
                Button("survey", Msg(N_("Survey"))),
                Button("plan", Msg(N_("My plan"))),
                Button("language", Msg(N_("Change language"))),
                Button("privacy", Msg(N_("My data and privacy"))),
                pause,
            ),
        )

    def ask_for_person(self, _value: str = "") -> None:
        request_person(self.turn)

    def open_info(self, _value: str = "") -> None:
        self.turn.switch("info", come_back=True)

    def open_wmodel(self, _value: str = "") -> None:
        self.turn.switch("wmodel", come_back=True)

    def open_survey(self, _value: str = "") -> None:
        expire_if_stale(self.turn)
        self.turn.switch("survey", come_back=True)

    def open_plan(self, _value: str = "") -> None:
        self.turn.switch("plan", come_back=True)

    def open_language(self, _value: str = "") -> None:
        self.turn.switch("language", come_back=True)

    def open_privacy(self, _value: str = "") -> None:
        self.turn.switch("privacy", come_back=True)

    def open_pause(self, _value: str = "") -> None:
        self.turn.switch("pause", come_back=True)

    def resume(self, _value: str = "") -> None:
        self.turn.emit(SetPaused(False))
        self.say(N_("Messages are on again."))


class Language(Flow):
    name = "language"
    states: list[dict[str, Any]] = [{"name": "choose"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "lang", "source": "choose", "dest": None, "after": "set_language"},
        {"trigger": "back", "source": "choose", "dest": None, "after": "to_menu"},
    ]

    def prompt_choose(self) -> Prompt:
        buttons = tuple(Button(f"lang:{code}", autonym(code)) for code in self.turn.languages)
        return Prompt(Msg(N_("Which language do you want to use?")), (*buttons, BACK))

    def set_language(self, code: str) -> None:
        if code in self.turn.languages:
            self.turn.emit(SetProfile({"locale": code}))
            self.say(N_("Done. I will write to you in this language."))
        self.to_menu()

    def to_menu(self, _value: str = "") -> None:
        self.turn.back()


class OfferLanguage(Flow):
    """Offered when someone writes in another language we speak than the session's."""

    name = "offer_language"
    states: list[dict[str, Any]] = [{"name": "ask"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "lang", "source": "ask", "dest": None, "after": "switch"},
        {"trigger": "keep", "source": "ask", "dest": None, "after": "keep"},
    ]

    def prompt_ask(self) -> Prompt:
        offered = str(self.data.get("offer", "en"))
        return Prompt(
            Msg(N_("It looks like you wrote in {language}. Shall I write to you in "
                   "{language}?"), {"language": autonym(offered)}),
            (Button(f"lang:{offered}", f"✓ {autonym(offered)}"),
             Button("keep", Msg(N_("No, keep {language}"),
                                {"language": autonym(self.participant.locale)}))),
        )

    def switch(self, code: str) -> None:
        if code in self.turn.languages:
            self.turn.emit(SetProfile({"locale": code}))
            self.say(N_("Done. I will write to you in this language."))
        self.turn.back()

    def keep(self, _value: str = "") -> None:
        self.turn.back()


class Pause(Flow):
    name = "pause"
    states: list[dict[str, Any]] = [{"name": "confirm"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "yes", "source": "confirm", "dest": None, "after": "pause"},
        {"trigger": "no", "source": "confirm", "dest": None, "after": "keep"},
    ]

    def prompt_confirm(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "Pause all messages from me? I will not write to you until you send "
                    "/resume. You can still write to me and ask for a person with /help."
                )
            ),
            (YES, NO),
        )

    def pause(self, _value: str = "") -> None:
        self.turn.emit(SetPaused(True))
        self.say(N_("Messages are paused. Send /resume when you want them again."))
        self.to_menu()

    def keep(self, _value: str = "") -> None:
        self.say(N_("Nothing has changed."))
        self.to_menu()

    def to_menu(self) -> None:
        self.turn.back()



class OfferPerson(Flow):
    """Asked after distress from someone who has not agreed to share with a case manager."""

    name = "offer_person"
    states: list[dict[str, Any]] = [{"name": "ask"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "person", "source": "ask", "dest": None, "after": "connect"},
        {"trigger": "no", "source": "ask", "dest": None, "after": "not_now"},
    ]

    def prompt_ask(self) -> Prompt:
        return Prompt(
            Msg(N_("Would you like a person from the reintegration team to contact you?")),
            (Button("person", Msg(N_("Yes, I want to talk to a person"))),
             Button("no", Msg(N_("Not now")))),
        )

    def connect(self, _value: str = "") -> None:
        request_person(self.turn)
        self.turn.back()

    def not_now(self, _value: str = "") -> None:
        self.say(N_("That is fine. You can ask for a person at any time with /help."))
        self.turn.back()
