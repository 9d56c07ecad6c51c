"""The W model in chat (domain.md §3): the person's ups and downs since return, one at a time.

For each point: a short note in their words, roughly when, which part of life, how strong.
A hard moment is followed by: was it overcome, how and when, who helped (or who should
have), what could have gone better; a high point by: what led to it, who helped. Then hopes
and plans, the services that could help and who provides them (each provider named becomes
a suggestion for the country office's directory). Points can be listed, changed, deleted,
and drawn as a chart.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date

from flows.engine.events import (
    AddWModelPoint,
    Button,
    DeleteWModelPoint,
    Msg,
    RecordReflection,
    SendChart,
    UpdateWModelPoint,
)
from flows.engine.flow import Flow, Prompt
from flows.engine.records import WPoint
from flows.l10n.i18n import N_, plural

DIMENSIONS = [
    ("economic", N_("Work and money")), ("social", N_("People and belonging")),
    ("psychosocial", N_("Feelings and wellbeing")),
]
STRENGTHS: list[tuple[int, Msg | str]] = [  # plain numbers need no translation
    (1, Msg(N_("1 – a little"))), (2, "2"), (3, "3"), (4, "4"), (5, Msg(N_("5 – very strong"))),
]
MONTH_STEPS = (0, 1, 2, 3, 6, 9, 12, 18)
MAX_MONTHS = 240
NOTE_LIMIT = 500
ANSWER_LIMIT = 1000
LISTED = 20  # points offered for a change or a deletion (the most recent ones)
SKIP = Button("skip", Msg(N_("Skip")))
CANCEL = Button("cancel", Msg(N_("Cancel")))


def months_between(start: date, end: date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def split_providers(text: str) -> tuple[str, ...]:
    """Each provider named in a list typed as "A, B and C" or one per line."""
    parts = re.split(r"[\n,;،؛፣፤]+", text)
    return tuple(dict.fromkeys(p.strip(" .-–•*")[:200] for p in parts if p.strip(" .-–•*")))


def dimension_label(code: str | None) -> Msg:
    return Msg(dict(DIMENSIONS).get(code or "", N_("Not said")))


def point_line(number: int, point: WPoint) -> Msg:
    arrow = "↑" if point.kind == "up" else "↓"
    when = (plural("{n} month after return", "{n} months after return", int(point.months))
            if point.months is not None else Msg(N_("date not known")))
    return Msg(N_("{number}. {arrow} {note} ({when}; {dimension}; strength {strength}/5)"), {
        "number": number, "arrow": arrow, "note": point.note, "when": when,
        "dimension": dimension_label(point.dimension),
        "strength": point.intensity if point.intensity is not None else "-"})


class WModel(Flow):
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

    def prompt_home(self) -> Prompt:
        count = len(self.turn.records.wmodel_points())
        buttons = [Button("add:up", Msg(N_("Add a good moment"))),
                   Button("add:down", Msg(N_("Add a hard moment")))]
        if count:
            buttons += [Button("list", Msg(N_("See, change or delete my points"))),
                        Button("chart", Msg(N_("Send me my chart")))]
        buttons += [Button("hopes", Msg(N_("Hopes, plans and services"))),
                    Button("back", Msg(N_("Back to the menu")))]
        return Prompt(Msg(N_("Your ups and downs since your return (the W model). You can add "
                             "good moments and hard moments, one at a time, in your own words. "
                             "Points so far: {count}."), {"count": count}), tuple(buttons))

    def prompt_note(self) -> Prompt:
        if self.data.get("editing"):
            return Prompt(Msg(N_("Write the new words for this point.")), (CANCEL,),
                          free_text=True)
        if self.data.get("kind") == "down":
            text = N_("In a few words, what was the hard moment?")
        else:
            text = N_("In a few words, what was the good moment?")
        return Prompt(Msg(text), (CANCEL,), free_text=True)

    def prompt_when(self) -> Prompt:
        person = self.participant
        today = self.turn.now.date()
        buttons: list[Button] = []
        if person.returned and person.return_date is not None:
            total = months_between(person.return_date, today)
            locale = Locale.parse(person.locale)
            for months in range(total, max(-1, total - 12), -1):
                year, month = divmod(person.return_date.month - 1 + months, 12)
                first = date(person.return_date.year + year, month + 1, 1)
                buttons.append(Button(f"when:{months}",
                                      format_date(first, "LLLL y", locale=locale)))
        else:
            for months in MONTH_STEPS:
                label = (Msg(N_("In the first month")) if months == 0 else
                         plural("After {n} month", "After {n} months", months))
                buttons.append(Button(f"when:{months}", label))
        return Prompt(Msg(N_("Roughly when was it? Choose the month, or type how many months "
                             "after your return (for example 4).")), (*buttons, CANCEL),
                      free_text=True, numbers=True)

    def prompt_dimension(self) -> Prompt:
        return Prompt(Msg(N_("Which part of life was it about?")),
                      (*(Button(f"dim:{code}", Msg(label)) for code, label in DIMENSIONS),
                       CANCEL))

    def prompt_strength(self) -> Prompt:
        return Prompt(Msg(N_("How strong was it, from 1 (a little) to 5 (very strong)?")),
                      (*(Button(f"strength:{n}", label) for n, label in STRENGTHS),
                       CANCEL))

    def prompt_overcome(self) -> Prompt:
        return Prompt(Msg(N_("Were you able to get through it?")), (
            Button("overcome:yes", Msg(N_("Yes"))),
            Button("overcome:partly", Msg(N_("Partly"))),
            Button("overcome:no", Msg(N_("Not yet")))))

    def _open(self, msgid: str) -> Prompt:
        return Prompt(Msg(msgid), (SKIP,), free_text=True)

    def prompt_how(self) -> Prompt:
        return self._open(N_("How did you get through it, and when?"))

    def prompt_helped(self) -> Prompt:
        return self._open(N_("Who helped you?"))

    def prompt_helped_up(self) -> Prompt:
        return self._open(N_("Who helped you reach it?"))

    def prompt_should_help(self) -> Prompt:
        return self._open(N_("Who should have helped you?"))

    def prompt_better(self) -> Prompt:
        return self._open(N_("Looking back, what could have gone better?"))

    def prompt_led_to(self) -> Prompt:
        return self._open(N_("What led to this good moment?"))

    def prompt_hopes(self) -> Prompt:
        return self._open(N_("What are your hopes and plans for the future?"))

    def prompt_services(self) -> Prompt:
        return self._open(N_("Which services could help you with the hard parts?"))

    def prompt_providers(self) -> Prompt:
        return self._open(N_("Who provides them, or who else could? Name any organisations, "
                             "NGOs, employers or people you know, separated by commas."))

    def prompt_listing(self) -> Prompt:
        points = self.turn.records.wmodel_points()
        if not points:
            return Prompt(Msg(N_("You have no points yet.")), (Button("back", Msg(N_("Back"))),))
        lines = Msg("\n".join(f"{{p{i}}}" for i in range(len(points))),
                    {f"p{i}": point_line(i + 1, p) for i, p in enumerate(points)})
        return Prompt(Msg(N_("Your points:\n{points}"), {"points": lines}), (
            Button("edit", Msg(N_("Change a point"))),
            Button("delete", Msg(N_("Delete a point"))),
            Button("back", Msg(N_("Back")))))

    def prompt_pick(self) -> Prompt:
        points = self.turn.records.wmodel_points()
        numbered = list(enumerate(points, 1))[-LISTED:]
        question = (N_("Which point do you want to delete?") if self.data.get("deleting")
                    else N_("Which point do you want to change?"))
        return Prompt(Msg(question), (*(Button(f"point:{p.id}", str(n)) for n, p in numbered),
                                      Button("back", Msg(N_("Back")))))

    def prompt_change(self) -> Prompt:
        return Prompt(Msg(N_("What do you want to change?")), (
            Button("field:note", Msg(N_("The words"))),
            Button("field:when", Msg(N_("When it was"))),
            Button("field:dimension", Msg(N_("The part of life"))),
            Button("field:strength", Msg(N_("How strong it was"))),
            Button("back", Msg(N_("Back")))))

    def prompt_confirm_delete(self) -> Prompt:
        point = self._point()
        return Prompt(Msg(N_("Delete this point? “{note}”"),
                          {"note": point.note if point else ""}),
                      (Button("yes", Msg(N_("Yes, delete it"))), Button("no", Msg(N_("No")))))

    # Conditions ------------------------------------------------------------------------

    def editing(self, _value: str = "") -> bool:
        return bool(self.data.get("editing"))

    def deleting(self, _value: str = "") -> bool:
        return bool(self.data.get("deleting"))

    def is_down(self, _value: str = "") -> bool:
        return self.data.get("kind") == "down"

    def not_overcome(self, value: str = "") -> bool:
        return value == "no"

    def typed_months(self, text: str = "") -> bool:
        digits = text.strip()
        if digits.isdigit() and 0 <= int(digits) <= MAX_MONTHS:
            return True
        return self.turn.reject(N_("Please choose a month, or type a number of months, for "
                                   "example 4."))

    def known_point(self, value: str = "") -> bool:
        return value.isdigit() and any(p.id == int(value)
                                       for p in self.turn.records.wmodel_points())

    def is_note(self, value: str = "") -> bool:
        return value == "note"

    def is_when(self, value: str = "") -> bool:
        return value == "when"

    def is_dimension(self, value: str = "") -> bool:
        return value == "dimension"

    def is_strength(self, value: str = "") -> bool:
        return value == "strength"

    # Callbacks: a new point ------------------------------------------------------------

    def begin(self, kind: str = "") -> None:
        self._forget_point()
        self.data["kind"] = "down" if kind == "down" else "up"

    def cancelled(self, _value: str = "") -> None:
        self._forget_point()
        self.say(N_("Nothing was saved."))

    def set_note(self, text: str) -> None:
        self.data["note"] = text.strip()[:NOTE_LIMIT]

    def set_when(self, value: str) -> None:
        self.data["months"] = int(value.strip()) if value.strip().isdigit() else None

    def set_dimension(self, value: str) -> None:
        self.data["dimension"] = value if value in dict(DIMENSIONS) else None

    def set_strength(self, value: str) -> None:
        self.data["strength"] = int(value) if value in {"1", "2", "3", "4", "5"} else None

    def set_overcome(self, value: str) -> None:
        self.data["overcome"] = value if value in ("yes", "partly", "no") else None

    def _answer(self, key: str, value: str) -> None:
        """Free text is the answer; "Skip" (pressed or typed) arrives as an empty value."""
        if value.strip():
            self.data[key] = value.strip()[:ANSWER_LIMIT]

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
        self._update(note=text.strip()[:NOTE_LIMIT])

    def edit_when(self, value: str) -> None:
        self._update(months_since_return=int(value.strip()))

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
