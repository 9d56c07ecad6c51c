"""The W model in chat (domain.md §3): the person's ups and downs since return, one at a time.

For each point: a short note in their words, roughly when, which part of life, how strong.
A hard moment is followed by: was it overcome, how and when, who helped (or who should
have), what could have gone better; a high point by: what led to it, who helped. Then hopes
and plans, the services that could help and who provides them (each provider named becomes
a suggestion for the country office's directory). Points can be listed, changed, deleted,
and drawn as a chart.
"""

from __future__ import annotations

from typing import Any

from flows.conversations.common import kept_words
from flows.conversations.wmodel_questions import (
    DIMENSIONS,
    WModelQuestions,
    month_count,
    split_providers,
)
from flows.engine.events import (
    AddWModelPoint,
    DeleteWModelPoint,
    RecordReflection,
    SendChart,
    UpdateWModelPoint,
)
from flows.engine.flow import Flow
from flows.engine.records import WPoint
from flows.l10n.i18n import N_


class WModel(WModelQuestions, Flow):
    name = "wmodel"
    states: list[dict[str, Any]] = [
        {"name": "home"}, {"name": "note"}, {"name": "when"}, {"name": "dimension"},
        {"name": "strength"}, {"name": "overcome"}, {"name": "how"}, {"name": "helped"},
        {"name": "should_help"}, {"name": "better"}, {"name": "led_to"}, {"name": "helped_up"},
        {"name": "hopes"}, {"name": "services"}, {"name": "providers"},
        {"name": "listing"}, {"name": "pick"}, {"name": "change"}, {"name": "confirm_delete"},
    ]
    transitions: list[dict[str, Any]] = [
        {**spec, "trigger": trigger} for spec in [
        {"trigger": "add", "source": "home", "dest": "note", "after": "begin"},
        {"trigger": "list", "source": "home", "dest": "listing"},
        {"trigger": "chart", "source": "home", "dest": None, "after": "send_chart"},
        {"trigger": "hopes", "source": "home", "dest": "hopes"},
        {"trigger": "back", "source": "home", "dest": None, "after": "leave"},
        {"trigger": "cancel", "source": ["note", "when", "dimension", "strength"],
         "dest": "home", "after": "cancelled"},
        # A new point: note, when, part of life, strength; or one field of a point changed.
        {"trigger": "text", "source": "note", "dest": "listing", "conditions": "editing",
         "after": "edit_note"},
        {"trigger": "text", "source": "note", "dest": "when", "after": "set_note"},
        {"trigger": "when", "source": "when", "dest": "listing", "conditions": "editing",
         "after": "edit_when"},
        {"trigger": "when", "source": "when", "dest": "dimension", "after": "set_when"},
        {"trigger": "text", "source": "when", "dest": "listing",
         "conditions": ["editing", "typed_months"], "after": "edit_when"},
        {"trigger": "text", "source": "when", "dest": "dimension", "conditions": "typed_months",
         "after": "set_when"},
        {"trigger": "dim", "source": "dimension", "dest": "listing", "conditions": "editing",
         "after": "edit_dimension"},
        {"trigger": "dim", "source": "dimension", "dest": "strength", "after": "set_dimension"},
        {"trigger": "strength", "source": "strength", "dest": "listing",
         "conditions": "editing", "after": "edit_strength"},
        {"trigger": "strength", "source": "strength", "dest": "overcome",
         "conditions": "is_down", "after": "set_strength"},
        {"trigger": "strength", "source": "strength", "dest": "led_to",
         "after": "set_strength"},
        # A hard moment: was it overcome; how and when, who helped; or who should have.
        {"trigger": "overcome", "source": "overcome", "dest": "should_help",
         "conditions": "not_overcome", "after": "set_overcome"},
        {"trigger": "overcome", "source": "overcome", "dest": "how", "after": "set_overcome"},
        {"trigger": ["text", "skip"], "source": "how", "dest": "helped", "after": "set_how"},
        {"trigger": ["text", "skip"], "source": "helped", "dest": "better",
         "after": "set_helped"},
        {"trigger": ["text", "skip"], "source": "should_help", "dest": "better",
         "after": "set_should_help"},
        {"trigger": ["text", "skip"], "source": "better", "dest": "home",
         "after": ["set_better", "save_point"]},
        # A high point: what led to it, who helped.
        {"trigger": ["text", "skip"], "source": "led_to", "dest": "helped_up",
         "after": "set_led_to"},
        {"trigger": ["text", "skip"], "source": "helped_up", "dest": "home",
         "after": ["set_helped", "save_point"]},
        # Hopes and plans, services, providers.
        {"trigger": ["text", "skip"], "source": "hopes", "dest": "services",
         "after": "set_hopes"},
        {"trigger": ["text", "skip"], "source": "services", "dest": "providers",
         "after": "set_services"},
        {"trigger": ["text", "skip"], "source": "providers", "dest": "home",
         "after": "save_reflection"},
        # Listing, changing, deleting.
        {"trigger": "edit", "source": "listing", "dest": "pick", "after": "choose_edit"},
        {"trigger": "delete", "source": "listing", "dest": "pick", "after": "choose_delete"},
        {"trigger": "back", "source": ["listing", "pick", "change", "confirm_delete"],
         "dest": "home", "after": "stop_editing"},
        {"trigger": "point", "source": "pick", "dest": "confirm_delete",
         "conditions": ["known_point", "deleting"], "after": "set_point"},
        {"trigger": "point", "source": "pick", "dest": "change", "conditions": "known_point",
         "after": "set_point"},
        {"trigger": "field", "source": "change", "dest": "note", "conditions": "is_note"},
        {"trigger": "field", "source": "change", "dest": "when", "conditions": "is_when"},
        {"trigger": "field", "source": "change", "dest": "dimension",
         "conditions": "is_dimension"},
        {"trigger": "field", "source": "change", "dest": "strength",
         "conditions": "is_strength"},
        {"trigger": "yes", "source": "confirm_delete", "dest": "listing", "after": "delete"},
        {"trigger": "no", "source": "confirm_delete", "dest": "listing",
         "after": "stop_editing"},
        ]  # a list of triggers stands for one transition per trigger
        for trigger in ([spec["trigger"]] if isinstance(spec["trigger"], str)
                        else spec["trigger"])
    ]

    # Prompts ---------------------------------------------------------------------------


    # Conditions ------------------------------------------------------------------------


    # Callbacks: a new point ------------------------------------------------------------

    def begin(self, kind: str = "") -> None:
        self._forget_point()
        self.data["kind"] = "down" if kind == "down" else "up"

    def cancelled(self, _value: str = "") -> None:
        self._forget_point()
        self.say(N_("Nothing was saved."))

    def set_note(self, text: str) -> None:
        self.data["note"] = kept_words(self.turn, text)

    def set_when(self, value: str) -> None:
        self.data["months"] = month_count(value)

    def set_dimension(self, value: str) -> None:
        self.data["dimension"] = value if value in dict(DIMENSIONS) else None

    def set_strength(self, value: str) -> None:
        self.data["strength"] = int(value) if value in {"1", "2", "3", "4", "5"} else None

    def set_overcome(self, value: str) -> None:
        self.data["overcome"] = value if value in ("yes", "partly", "no") else None

    def _answer(self, key: str, value: str) -> None:
        """Free text is the answer; "Skip" (pressed or typed) arrives as an empty value."""
        if value.strip():
            self.data[key] = kept_words(self.turn, value)

    def set_how(self, value: str = "") -> None:
        self._answer("how", value)

    def set_helped(self, value: str = "") -> None:
        self._answer("helped", value)

    def set_should_help(self, value: str = "") -> None:
        self._answer("should_have_helped", value)

    def set_better(self, value: str = "") -> None:
        self._answer("better", value)

    def set_led_to(self, value: str = "") -> None:
        self._answer("led_to", value)

    def save_point(self, _value: str = "") -> None:
        details = {key: self.data[key] for key in
                   ("overcome", "how", "helped", "should_have_helped", "better", "led_to")
                   if self.data.get(key)}
        self.turn.emit(AddWModelPoint(self.data.get("kind", "up"), self.data.get("note", ""),
                                      "wmodel", months=self.data.get("months"),
                                      dimension=self.data.get("dimension"),
                                      intensity=self.data.get("strength"), details=details))
        self._forget_point()
        self.say(N_("Saved. Thank you for sharing this."))

    def _forget_point(self) -> None:
        for key in ("kind", "note", "months", "dimension", "strength", "overcome", "how",
                    "helped", "should_have_helped", "better", "led_to", "editing",
                    "deleting", "point"):
            self.data.pop(key, None)

    # Callbacks: hopes, services, providers ---------------------------------------------

    def set_hopes(self, value: str = "") -> None:
        self._answer("hopes", value)

    def set_services(self, value: str = "") -> None:
        self._answer("services", value)

    def save_reflection(self, value: str = "") -> None:
        self._answer("providers", value)
        providers = split_providers(self.data.pop("providers", ""))
        hopes, services = self.data.pop("hopes", None), self.data.pop("services", None)
        if hopes or services or providers:
            self.turn.emit(RecordReflection(hopes, services, providers))
            self.say(N_("Thank you. Your case manager can look at this with you."))
        else:
            self.say(N_("Nothing was saved."))

    # Callbacks: listing, changing, deleting --------------------------------------------

    def choose_edit(self, _value: str = "") -> None:
        self.data["deleting"] = False

    def choose_delete(self, _value: str = "") -> None:
        self.data["deleting"] = True

    def set_point(self, value: str) -> None:
        self.data["point"] = int(value)
        self.data["editing"] = not self.data.get("deleting")

    def stop_editing(self, _value: str = "") -> None:
        self._forget_point()

    def _point(self) -> WPoint | None:
        wanted = self.data.get("point")
        return next((p for p in self.turn.records.wmodel_points() if p.id == wanted), None)

    def _update(self, **fields: Any) -> None:
        point = self.data.get("point")
        if isinstance(point, int):
            self.turn.emit(UpdateWModelPoint(point, fields))
            self.say(N_("Changed."))
        self._forget_point()

    def edit_note(self, text: str) -> None:
        self._update(note=kept_words(self.turn, text))

    def edit_when(self, value: str) -> None:
        self._update(months_since_return=month_count(value))

    def edit_dimension(self, value: str) -> None:
        if value in dict(DIMENSIONS):
            self._update(dimension=value)

    def edit_strength(self, value: str) -> None:
        if value in {"1", "2", "3", "4", "5"}:
            self._update(intensity=int(value))

    def delete(self, _value: str = "") -> None:
        point = self.data.get("point")
        if isinstance(point, int):
            self.turn.emit(DeleteWModelPoint(point))
            self.say(N_("Deleted."))
        self._forget_point()

    # Leaving -----------------------------------------------------------------------------

    def send_chart(self, _value: str = "") -> None:
        self.turn.emit(SendChart("wmodel"))
        self.say(N_("Here is your chart. It shows your points in time, good moments above "
                    "the line and hard moments below."))

    def leave(self, _value: str = "") -> None:
        self.turn.back()
