"""The generic part of every flow: a `transitions` machine built once from data, a Turn that
collects what a flow decides, and the Prompt each state asks.

A flow subclass lists its ``states`` and ``transitions`` as data, then a ``prompt_<state>``
method per state (the question the state asks) and the few callbacks the transitions name.
One machine serves every participant: the flow instance is created per event with the state
loaded from the database, and the machine's event is fired on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from transitions import Machine, MachineError

from flows.engine.events import (
    Button,
    Effect,
    Event,
    Msg,
    ParticipantView,
    Reply,
)
from flows.engine.records import NoRecords, Records

RESUME = "<resume>"


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a state asks. ``free_text`` says whether typed text is an answer here."""

    text: Msg
    buttons: tuple[Button, ...] = ()
    free_text: bool = False
    numbers: bool = False  # a typed number is a free answer, not the button at that place
    # the answer is about the person's own goals or worries and is kept where their case
    # manager reads it (a plan's objectives): a Tier 3 reading of it is no separate notice
    # (Tiers 1 and 2 still reach a person at once)
    own_words: bool = False


@dataclass(slots=True)
class Turn:
    """One event's worth of decisions, applied by the engine in one transaction."""

    participant: ParticipantView
    event: Event
    now: datetime
    data: dict[str, Any]
    effects: list[Effect] = field(default_factory=list)
    next_flow: str | None = None
    next_state: str | None = None
    come_back: bool = False
    error: Msg | None = None
    languages: tuple[str, ...] = ("en",)  # the languages with a catalog, to offer
    pack: Any = None  # the person's CountryPack (services, numbers), when flows need it
    quiet: bool = False  # say what was said, but do not ask the question again
    records: Records = field(default_factory=NoRecords)  # the person's W model, survey
    survey_window: timedelta = timedelta(days=7)  # how long an unfinished survey is kept
    embedded: Any = None  # the message's embedding, once triage asked for it
    # The referral tier of each distress category, from the lexicon: one decision in one
    # file, for typed words and structured answers alike ("unsafe" in the survey).
    tiers: dict[str, int] = field(default_factory=dict)
    carry: dict[str, Any] = field(default_factory=dict)  # data for the flow switched to

    def say(self, msgid: str, **params: Any) -> None:
        self.effects.append(Reply(Msg(msgid, params)))

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def switch(self, flow: str, state: str | None = None, *, come_back: bool = False) -> None:
        """Continue in another flow (at its initial state unless ``state`` is given).

        With ``come_back`` the current place is kept, and ``back()`` in the new flow
        returns to it: a side trip to /language or /privacy never loses the person's place.
        """
        self.next_flow = flow
        self.next_state = state
        self.come_back = come_back

    def back(self) -> None:
        """Return to where the person was before the side trip, or to the menu."""
        self.next_flow = RESUME
        self.next_state = None

    def reject(self, msgid: str, **params: Any) -> bool:
        """Explain why an answer was not accepted; returned as a failed condition."""
        self.error = Msg(msgid, params)
        return False


class Flow:
    """Base of every flow. Subclasses declare ``name``, ``states``, ``transitions``."""

    name: ClassVar[str]
    states: ClassVar[list[dict[str, Any]]]
    transitions: ClassVar[list[dict[str, Any]]]
    initial: ClassVar[str]
    machine: ClassVar[Machine]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "states" not in cls.__dict__:
            return
        cls.initial = cls.__dict__.get("initial") or cls.states[0]["name"]
        cls.machine = Machine(
            model=[],
            states=cls.states,
            transitions=cls.transitions,
            initial=cls.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for state in cls.state_names():
            if not callable(getattr(cls, f"prompt_{state}", None)):
                raise TypeError(f"flow {cls.name}: state {state!r} has no prompt_{state}()")

    def __init__(self, turn: Turn, state: str) -> None:
        if state not in self.machine.states:
            state = self.initial
        self.turn = turn
        self.state = state

    @classmethod
    def state_names(cls) -> list[str]:
        return [s["name"] for s in cls.states]

    @classmethod
    def triggers(cls) -> set[str]:
        return {t["trigger"] for t in cls.transitions}

    @property
    def data(self) -> dict[str, Any]:
        return self.turn.data

    @property
    def participant(self) -> ParticipantView:
        return self.turn.participant

    def prompt(self) -> Prompt:
        prompt: Prompt = getattr(self, f"prompt_{self.state}")()
        return prompt

    def fire(self, trigger: str, value: str) -> bool:
        """Fire ``trigger`` from the current state; False when it does not apply here."""
        event = self.machine.events.get(trigger)
        if event is None:
            return False
        try:
            return bool(event.trigger(self, value))
        except MachineError:
            return False

    # The machine calls back by name on the model; these are shared by every flow.
    def say(self, msgid: str, **params: Any) -> None:
        self.turn.say(msgid, **params)


def mermaid(flow: type[Flow]) -> str:
    """The flow as a Mermaid state diagram, drawn by `transitions` itself."""
    from transitions.extensions import GraphMachine

    class _Model:
        pass

    model = _Model()
    GraphMachine(
        model=model,
        states=flow.states,
        transitions=flow.transitions,
        initial=flow.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=f"flow: {flow.name}",
    )
    return str(model.get_graph().draw(None))  # type: ignore[attr-defined]
