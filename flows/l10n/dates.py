"""Dates as people read and type them: in their locale's order, and in their own calendar.

Persian speakers count in the Solar Hijri calendar (with the Dari month names in
Afghanistan), Amharic speakers in the Ethiopian calendar: a date is shown in that calendar
first, then the Gregorian one in brackets, so that nobody has to convert. A Solar Hijri date
can also be typed (a year from 1300 to 1499 cannot be mistaken for a Gregorian one); an
Ethiopian year can (2018 is both), so Amharic input stays Gregorian. Conversions are
``convertdate``'s; the month names are calendar data, like CLDR's.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, get_date_format
from convertdate import coptic, persian

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
    if locale.split("_")[0] == "fa" and (solar := _solar_year(a, c)) is not None:
        return _from_solar(solar, b, a if solar == int(c) else c)
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




SOLAR_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                "آذر", "دی", "بهمن", "اسفند")
SOLAR_MONTHS_AF = ("حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس",
                   "جدی", "دلو", "حوت")
ETHIOPIAN_MONTHS = ("መስከረም", "ጥቅምት", "ኅዳር", "ታኅሣሥ", "ጥር", "የካቲት", "መጋቢት", "ሚያዝያ",
                    "ግንቦት", "ሰኔ", "ሐምሌ", "ነሐሴ", "ጳጉሜን")
ETHIOPIAN_OFFSET = 276  # Ethiopian year = Coptic year + 276; months and days are the same


def _solar_year(a: str, c: str) -> int | None:
    for part in (a, c):
        if len(part) == 4 and 1300 <= int(part) <= 1499:
            return int(part)
    return None


def _from_solar(year: int, month: str, day: str) -> date:
    m, d = int(month), int(day)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise DateInputError(DateProblem.IMPOSSIBLE)
    value = date(*persian.to_gregorian(year, m, d))
    if persian.from_gregorian(value.year, value.month, value.day) != (year, m, d):
        raise DateInputError(DateProblem.IMPOSSIBLE)  # e.g. 30 Esfand in a common year
    return value


def local_date(value: date, locale: str, country: str | None = None) -> str | None:
    """``value`` in the calendar people of this language count in, or None (Gregorian)."""
    language = locale.split("_")[0]
    if language == "fa":
        year, month, day = persian.from_gregorian(value.year, value.month, value.day)
        names = SOLAR_MONTHS_AF if country == "AF" else SOLAR_MONTHS
        return f"{day} {names[month - 1]} {year}"
    if language == "am":
        year, month, day = coptic.from_gregorian(value.year, value.month, value.day)
        return f"{ETHIOPIAN_MONTHS[month - 1]} {day} ቀን {year + ETHIOPIAN_OFFSET} ዓ.ም."
    return None


def long_date(value: date, locale: str, country: str | None = None) -> str:
    """A date for a sentence: in the reader's calendar, with the Gregorian one beside it."""
    gregorian = format_date(value, format="long", locale=Locale.parse(locale))
    local = local_date(value, locale, country)
    return f"{local} ({gregorian})" if local else gregorian
