"""The W model's questions: what each state asks (its prompt) and which answers it
accepts (the conditions).
"""
from __future__ import annotations

import re
from datetime import date

from babel import Locale
from babel.dates import format_date

from flows.engine.events import (
    Button,
    Msg,
)
from flows.engine.flow import Prompt
from flows.engine.records import WPoint
from flows.l10n.dates import ethiopian_months
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


def month_count(text: str) -> int | None:
    """The number of months in "4", "4 months", "4 mois", "٤ أشهر"; None otherwise ("-1")."""
    found = re.fullmatch(r"\s*(\d+)(\s+[^\W\d_][^\d]*)?", text)
    return int(found.group(1)) if found else None
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


class WModelQuestions:
    """What each state of the WModel flow asks, and which answers fit."""

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
        if (person.returned and person.return_date is not None
                and person.locale.split("_")[0] == "am"):
            # The Ethiopian months people count in, with the Gregorian month beside.
            for months, name, middle in ethiopian_months(person.return_date, today):
                gregorian = format_date(middle, "LLLL y", locale=Locale.parse(person.locale))
                buttons.append(Button(f"when:{months}", f"{name} ({gregorian})"))
        elif person.returned and person.return_date is not None:
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

    def editing(self, _value: str = "") -> bool:
        return bool(self.data.get("editing"))

    def deleting(self, _value: str = "") -> bool:
        return bool(self.data.get("deleting"))

    def is_down(self, _value: str = "") -> bool:
        return self.data.get("kind") == "down"

    def not_overcome(self, value: str = "") -> bool:
        return value == "no"

    def typed_months(self, text: str = "") -> bool:
        count = month_count(text)
        if count is not None and 0 <= count <= MAX_MONTHS:
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
