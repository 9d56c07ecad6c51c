"""The check-in: a light opening, mood, what happened (offered as a W-model point), needs,
anything else, thanks.

Delivered by the scheduler when a follow-up is due (or started with /checkin). A very low
mood gets a gentle question and the offer of a person; two very low moods in a row raise
a Tier 2 signal for the case manager. Free text goes through triage like any message.
"""

from __future__ import annotations

from typing import Any

from flows.conversations.common import (
    ALERTED_SAFETY_NEED,
    SHARING,
    emergency_lines,
    kept_words,
    request_person,
)
from flows.conversations.plan import ask_about_activity
from flows.engine.events import (
    AddWModelPoint,
    Button,
    Msg,
    OpenEscalation,
    PostponeFollowUp,
    RecordCheckIn,
    Reply,
    SetProfile,
)
from flows.engine.flow import Flow, Prompt
from flows.l10n.i18n import N_

MOODS = [
    (5, N_("😀 Very good")), (4, N_("🙂 Good")), (3, N_("😐 Okay")),
    (2, N_("🙁 Not good")), (1, N_("😞 Very bad")),
]
NEEDS = [
    ("housing", N_("Housing")), ("work", N_("Work")), ("health", N_("Health")),
    ("documents", N_("Documents")), ("family", N_("Family")), ("money", N_("Money")),
    ("safety", N_("Safety")),
]
VERY_LOW = 1


class CheckIn(Flow):
    name = "checkin"
    states: list[dict[str, Any]] = [
        {"name": "opening"}, {"name": "mood"}, {"name": "low_mood"}, {"name": "events"},
        {"name": "wmodel_offer"}, {"name": "needs"}, {"name": "note"},
    ]
    transitions: list[dict[str, Any]] = [
        {"trigger": "start", "source": "opening", "dest": "mood"},
        {"trigger": "later", "source": "opening", "dest": None, "after": "postpone"},
        {"trigger": "mood", "source": "mood", "dest": "low_mood", "conditions": "very_low",
         "after": "set_mood"},
        {"trigger": "mood", "source": "mood", "dest": "events", "unless": "very_low",
         "after": "set_mood"},
        {"trigger": "person", "source": "low_mood", "dest": "events", "after": "ask_person"},
        {"trigger": "continue", "source": "low_mood", "dest": "events"},
        {"trigger": "text", "source": "events", "dest": "wmodel_offer", "after": "set_events"},
        {"trigger": "up", "source": "wmodel_offer", "dest": "needs", "after": "add_point"},
        {"trigger": "down", "source": "wmodel_offer", "dest": "needs", "after": "add_point"},
        {"trigger": "no", "source": "wmodel_offer", "dest": "needs"},
        {"trigger": "none", "source": "events", "dest": "needs"},
        {"trigger": "need", "source": "needs", "dest": None, "after": "toggle_need"},
        {"trigger": "done", "source": "needs", "dest": "note"},
        {"trigger": "text", "source": "note", "dest": None, "after": ["set_note", "finish"]},
        {"trigger": "no", "source": "note", "dest": None, "after": "finish"},
    ]

    def prompt_opening(self) -> Prompt:
        return Prompt(Msg(N_("Hello! It is time for your check-in. It takes about two "
                             "minutes.")),
                      (Button("start", Msg(N_("Let us start"))),
                       Button("later", Msg(N_("Remind me tomorrow")))))

    def prompt_mood(self) -> Prompt:
        return Prompt(Msg(N_("How are you feeling today?")),
                      tuple(Button(f"mood:{n}", Msg(label)) for n, label in MOODS))

    def prompt_low_mood(self) -> Prompt:
        return Prompt(Msg(N_("I am sorry it is so hard right now. Would you like a person from "
                             "the team to contact you?")),
                      (Button("person", Msg(N_("Yes, I want to talk to a person"))),
                       Button("continue", Msg(N_("Continue the check-in")))))

    def prompt_events(self) -> Prompt:
        return Prompt(Msg(N_("Has anything good or hard happened since last time? You can "
                             "write it in a few words.")),
                      (Button("none", Msg(N_("Nothing special"))),), free_text=True)

    def prompt_wmodel_offer(self) -> Prompt:
        return Prompt(Msg(N_("Would you like to add this to your ups and downs since return "
                             "(the W model you can look at with your case manager)?")),
                      (Button("up", Msg(N_("Yes, as a high point"))),
                       Button("down", Msg(N_("Yes, as a hard moment"))),
                       Button("no", Msg(N_("No")))))

    def prompt_needs(self) -> Prompt:
        chosen = set(self.data.get("needs", []))
        buttons = [Button(f"need:{key}",
                          Msg(N_("✓ {need}"), {"need": Msg(label)}) if key in chosen
                          else Msg(label)) for key, label in NEEDS]
        return Prompt(Msg(N_("Do you need help with any of these? Choose all that apply, then "
                             "Done.")), (*buttons, Button("done", Msg(N_("Done")))))

    def prompt_note(self) -> Prompt:
        return Prompt(Msg(N_("Is there anything else a person from the team should know?")),
                      (Button("no", Msg(N_("No, that is all"))),), free_text=True)

    # Conditions and callbacks.
    def very_low(self, value: str = "") -> bool:
        return value.isdigit() and int(value) <= VERY_LOW

    def postpone(self, _value: str = "") -> None:
        self.turn.emit(PostponeFollowUp(hours=24))
        self.say(N_("Of course. I will ask again tomorrow."))
        self.turn.back()

    def set_mood(self, value: str) -> None:
        mood = int(value) if value.isdigit() and 1 <= int(value) <= 5 else None
        self.data["mood"] = mood
        if mood == VERY_LOW and self.participant.last_mood == VERY_LOW:
            self.turn.emit(OpenEscalation(tier=2, category="low_mood", source="checkin",
                                          categories=("low_mood",)))
        if mood is not None:
            self.turn.emit(SetProfile({"last_mood": mood}))

    def ask_person(self, _value: str = "") -> None:
        request_person(self.turn)

    def set_events(self, text: str) -> None:
        self.data["events"] = kept_words(self.turn, text)

    def add_point(self, _value: str = "") -> None:
        kind = self.turn.event.payload or self.turn.event.text
        if self.data.get("events") and kind in ("up", "down"):
            self.turn.emit(AddWModelPoint(kind, self.data["events"], "checkin"))

    def toggle_need(self, key: str) -> None:
        if key not in dict(NEEDS):
            return
        chosen = list(self.data.get("needs", []))
        self.data["needs"] = [k for k in chosen if k != key] if key in chosen else [*chosen, key]

    def set_note(self, text: str) -> None:
        self.data["note"] = kept_words(self.turn, text)

    def finish(self, _value: str = "") -> None:
        needs = tuple(self.data.get("needs", []))
        note = self.data.get("note")
        self.turn.emit(RecordCheckIn(None, self.data.get("mood"), self.data.get("events"),
                                     needs, note))
        self.say(N_("Thank you for checking in."))
        self._needs_reach_a_person(needs, note)
        if not ask_about_activity(self.turn):  # now and then, one activity of the plan
            self.turn.switch("menu")

    def _needs_reach_a_person(self, needs: tuple[str, ...], note: str | None) -> None:
        """"Safety" reaches the team at the tier of a threat to safety (the lexicon's); other
        needs with a note, as a notice for the case manager (with sharing consent)."""
        categories = tuple(f"need_{need}" for need in needs)
        if "safety" in needs:
            tier = self.turn.tiers.get("safety_threat", 1)
            if tier == 1 or self.participant.consents.get(SHARING) is True:
                self.turn.emit(OpenEscalation(tier=tier, category="safety_threat",
                                              source="checkin", excerpt=note,
                                              categories=("safety_threat", *categories)))
                self.say(ALERTED_SAFETY_NEED)
                self.turn.effects.append(Reply(emergency_lines(self.turn.pack,
                                                               self.participant.returned)))
                return
        if needs and note and self.participant.consents.get(SHARING) is True:
            self.turn.emit(OpenEscalation(tier=3, category="checkin_needs", source="checkin",
                                          excerpt=note, categories=("checkin_needs",
                                                                    *categories)))
            self.say(N_("I have passed what you need on to your case manager."))
