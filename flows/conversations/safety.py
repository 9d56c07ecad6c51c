"""After a distress signal: the direct question, and a calm place to stay.

``screen``: a possible Tier 1 signal gets one short, direct question with buttons, the way
suicide screening asks ("Are you thinking about killing yourself?"; for danger from others,
"Are you in danger right now?"). Yes alerts the team at once; no gets a caring reply, the
offer of a person and a Tier 3 notice; no answer by the deadline alerts the team at Tier 1
marked "not confirmed" (the worker's sweep, ``Casework.sweep_screenings``).

``with_you``: after an alert, nothing the person writes is taken as the answer to an earlier
question. They can go on where they were, ask for a person, or see the emergency numbers.
"""

from __future__ import annotations

from typing import Any

from flows.conversations.common import ALERTED_CONFIRMED, SHARING, emergency_lines, request_person
from flows.engine.events import Button, Msg, OpenEscalation, Reply, SettleScreening
from flows.engine.flow import Flow, Prompt
from flows.l10n.i18n import N_
from flows.triage import TriageResult

SELF_DIRECTED = {"suicide", "farewell", "self_harm", "medication", "drugs", "confusion",
                 "psychiatric", "severe_distress", "emotional", "isolation"}
PERSON = Button("person", Msg(N_("Talk to a person")))
NUMBERS = Button("numbers", Msg(N_("Emergency numbers")))


def _excerpt(result: TriageResult, text: str) -> str:
    return " … ".join(result.sentences) if result.sentences else text


def _reading(result: TriageResult) -> str:
    layers = " + ".join(result.layers) or "-"
    return f"{layers}, {result.confidence:.2f}"


def escalation(result: TriageResult, text: str) -> OpenEscalation:
    """The escalation for what triage read: the sentences that showed it, and how."""
    assert result.tier is not None
    return OpenEscalation(tier=result.tier, category=result.categories[0], source="message",
                          categories=result.categories, excerpt=_excerpt(result, text)[:1000],
                          note_72h=result.note_72h, reading=_reading(result))


def screening(result: TriageResult, text: str) -> OpenEscalation:
    category = result.categories[0] if result.categories else "suicide"
    return OpenEscalation(tier=1, category=category, source="screen",
                          categories=result.categories or (category,),
                          excerpt=_excerpt(result, text)[:1000], note_72h=result.note_72h,
                          screening=True, reading=_reading(result))


class Safety(Flow):
    """The direct question after a possible Tier 1 signal; a calm place after an alert."""

    name = "safety"
    states: list[dict[str, Any]] = [{"name": "with_you"}, {"name": "screen"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "yes", "source": "screen", "dest": "with_you", "after": "confirmed"},
        {"trigger": "no", "source": "screen", "dest": "with_you", "after": "denied"},
        {"trigger": "person", "source": ["screen", "with_you"], "dest": "with_you",
         "after": "connect"},
        {"trigger": "numbers", "source": ["screen", "with_you"], "dest": None,
         "after": "numbers"},
        {"trigger": "go_on", "source": "with_you", "dest": None, "after": "go_on"},
        # Words written here are heard, never taken as the answer to an earlier question
        {"trigger": "text", "source": "with_you", "dest": None, "after": "heard"},
    ]

    def prompt_screen(self) -> Prompt:
        category = self.data.get("_screen", {}).get("category", "suicide")
        question = (N_("I want to ask you directly, because it matters: are you thinking "
                       "about killing yourself?") if category in SELF_DIRECTED else
                    N_("I want to ask you directly, because it matters: are you, or someone "
                       "with you, in danger right now?"))
        return Prompt(Msg(question), (Button("yes", Msg(N_("Yes"))),
                                      Button("no", Msg(N_("No"))), PERSON))

    def prompt_with_you(self) -> Prompt:
        return Prompt(Msg(N_("I am here with you. When you are ready, you can go on where "
                             "you were, or talk to a person.")),
                      (Button("go_on", Msg(N_("Go on where I was"))), PERSON, NUMBERS),
                      free_text=True)

    def confirmed(self, _value: str = "") -> None:
        self.turn.emit(SettleScreening(confirmed=True))
        self.say(ALERTED_CONFIRMED)
        self.numbers()

    def denied(self, _value: str = "") -> None:
        self.turn.emit(SettleScreening(confirmed=False))
        self.say(N_("Thank you for answering. What you wrote still sounds hard, and it is "
                    "fine to talk about it. A person from the team can write to you."))
        if self.participant.consents.get(SHARING) is True:
            screen = self.data.get("_screen", {})
            self.turn.emit(OpenEscalation(tier=screen.get("otherwise") or 3,
                                          category=screen.get("category", "emotional"),
                                          source="screen_declined"))

    def connect(self, _value: str = "") -> None:
        request_person(self.turn)

    def numbers(self, _value: str = "") -> None:
        self.turn.effects.append(Reply(emergency_lines(self.turn.pack,
                                                       self.participant.returned)))

    def heard(self, _value: str = "") -> None:
        self.say(N_("Thank you for writing. I am still here, and nothing you write now is "
                    "taken as an answer to an earlier question."))

    def go_on(self, _value: str = "") -> None:
        self.turn.back()
