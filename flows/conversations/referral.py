"""A referral, as the returnee meets it: consent for one provider, naming exactly what would
be shared with them (domain.md §9: consent per purpose and per partner), and, some days
after, whether they reached the service and whether it helped. "Not reached" goes back to
the case manager. Entered by the bot when the question is due and the person is free.
"""

from __future__ import annotations

from typing import Any

from flows.casework.vocabulary import SERVICE_NAMES, SHARED_NAMES
from flows.engine.events import AnswerReferral, Button, Msg
from flows.engine.flow import Flow, Prompt
from flows.l10n.i18n import N_


class ReferralQuestions(Flow):
    name = "referral"
    states: list[dict[str, Any]] = [{"name": "consent"}, {"name": "reached"},
                                    {"name": "helped"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "yes", "source": "consent", "dest": None, "after": "agree"},
        {"trigger": "no", "source": "consent", "dest": None, "after": "refuse"},
        {"trigger": "yes", "source": "reached", "dest": "helped"},
        {"trigger": "no", "source": "reached", "dest": None, "after": "not_reached"},
        {"trigger": "helped", "source": "helped", "dest": None, "after": "helped"},
    ]

    def _about(self) -> dict[str, Any]:
        return {"provider": self.data.get("_provider", ""),
                "service": Msg(SERVICE_NAMES.get(self.data.get("_service", ""),
                                                 N_("support")))}

    def prompt_consent(self) -> Prompt:
        shared = tuple(Msg(N_("– {field}"), {"field": Msg(SHARED_NAMES[f])})
                       for f in self.data.get("_shared", []) if f in SHARED_NAMES)
        return Prompt(Msg(N_(
            "Your case manager suggests {provider} for {service}. To refer you, they would "
            "share with {provider} only this:\n{shared}\nNothing else is shared. Do you "
            "agree? Your assistance does not depend on it."), {**self._about(),
                                                               "shared": shared}),
            (Button("yes", Msg(N_("Yes, I agree"))), Button("no", Msg(N_("No, not this")))))

    def prompt_reached(self) -> Prompt:
        return Prompt(Msg(N_("Some days ago you were referred to {provider} for {service}. "
                             "Were you able to reach them?"), self._about()),
                      (Button("yes", Msg(N_("Yes"))), Button("no", Msg(N_("Not yet, or not "
                                                                         "at all")))))

    def prompt_helped(self) -> Prompt:
        return Prompt(Msg(N_("Did it help?")),
                      (Button("helped:yes", Msg(N_("Yes, it helped"))),
                       Button("helped:somewhat", Msg(N_("A little"))),
                       Button("helped:no", Msg(N_("No")))))

    def _referral(self) -> int:
        return int(self.data.get("_referral", 0))

    def agree(self, _value: str = "") -> None:
        self.turn.emit(AnswerReferral(self._referral(), consent=True))
        self.say(N_("Thank you. Your case manager will make the referral and tell you how to "
                    "reach them."))
        self.turn.switch("menu")

    def refuse(self, _value: str = "") -> None:
        self.turn.emit(AnswerReferral(self._referral(), consent=False))
        self.say(N_("That is fine: nothing is shared. Your case manager will talk with you "
                    "about other ways."))
        self.turn.switch("menu")

    def not_reached(self, _value: str = "") -> None:
        self.turn.emit(AnswerReferral(self._referral(), reached=False))
        self.say(N_("Thank you for telling me. I have let your case manager know; they will "
                    "help you reach the service or find another way."))
        self.turn.switch("menu")

    def helped(self, value: str) -> None:
        answer = value if value in ("yes", "somewhat", "no") else None
        self.turn.emit(AnswerReferral(self._referral(), reached=True, helped=answer))
        self.say(N_("Thank you. Your answer is kept for your case manager."))
        self.turn.switch("menu")
