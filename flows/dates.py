"""Reading dates people type: "14/03/2026", "2026-03-14", "14.3.26", in their locale's order."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, get_date_format

_BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


class DateProblem(StrEnum):
    UNREADABLE = "unreadable"
    IMPOSSIBLE = "impossible"


class DateInputError(ValueError):
    def __init__(self, problem: DateProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@lru_cache(maxsize=64)
def _day_first(locale: str) -> bool:
    pattern = get_date_format("short", locale=Locale.parse(locale)).pattern
    return pattern.lower().find("d") < pattern.find("M")


def parse_date(text: str, locale: str) -> date:
    """A calendar date from digits in the locale's order; ISO (year first) always works.

    When the day is above 12 the order is unambiguous and is used whatever the locale says.
    """
    text = _BIDI_MARKS.sub("", text)  # Arabic dates carry invisible direction marks
    parts = re.findall(r"\d+", text)
    if len(parts) != 3 or re.search(r"[^\d\s./\-]", text.strip()):
        raise DateInputError(DateProblem.UNREADABLE)
    a, b, c = parts
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(c) in (2, 4):
        year = int(c) + (2000 if len(c) == 2 else 0)
        first, second = int(a), int(b)
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        elif _day_first(locale):
            day, month = first, second
        else:
            month, day = first, second
    else:
        raise DateInputError(DateProblem.UNREADABLE)
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateInputError(DateProblem.IMPOSSIBLE) from exc


@lru_cache(maxsize=64)
def example_date(locale: str) -> str:
    """How to type a date in this locale, shown in questions."""
    return format_date(date(2026, 3, 14), format="short", locale=Locale.parse(locale))


def long_date(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=Locale.parse(locale))
