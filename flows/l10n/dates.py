"""Dates as people read and type them: in the order of their language *and* country (English
in Nigeria or Ghana is day-first: Babel's ``en_NG``), and in their own calendar.

Persian speakers count in the Solar Hijri calendar (with the Dari month names in
Afghanistan), Amharic speakers in the Ethiopian calendar: a date is shown in that calendar
first, then the Gregorian one in brackets, so that nobody has to convert. A Solar Hijri date
can also be typed (a year from 1300 to 1499 cannot be mistaken for a Gregorian one). An
Ethiopian year can: "5/7/2018" from an Amharic speaker is most likely 5 Megabit 2018
(14 March 2026), but could be 5 July 2018, so ``read_dates`` gives both readings and the
question asks which one is meant. Months in words are read too (``date_words``).
Conversions are ``convertdate``'s (the Ethiopian calendar is the Coptic one, 276 years on);
the month names are calendar data, like CLDR's.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache

from babel import Locale, UnknownLocaleError
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


@lru_cache(maxsize=256)
def regional(locale: str, country: str | None = None) -> str:
    """The Babel locale for date formats: the language in the person's country when CLDR
    knows it (``en_NG``, ``fr_SN``), else international English (day-first) for English
    with a country CLDR has no English for, else the language."""
    language = locale.split("_")[0]
    if country:
        try:
            return str(Locale.parse(f"{language}_{country.upper()}"))
        except (UnknownLocaleError, ValueError):
            if language == "en":
                return "en_001"
    return locale


@lru_cache(maxsize=256)
def _day_first(locale: str) -> bool:
    pattern = get_date_format("short", locale=Locale.parse(locale)).pattern
    return pattern.lower().find("d") < pattern.find("M")


def _ascii_digits(text: str) -> str:
    return "".join(str(int(ch)) if ch.isdecimal() else ch for ch in text)


def read_dates(text: str, locale: str, country: str | None = None) -> list[date]:
    """Every reasonable reading of a typed date, the most likely first.

    Digits follow the order of the person's language and country; ISO (year first) always
    works; when the day is above 12 the order is unambiguous and is used whatever the locale
    says. Amharic digits give the Ethiopian reading first, then the Gregorian one.
    """
    from flows.l10n.date_words import ETHIOPIAN, SOLAR, read_words

    text = _ascii_digits(_BIDI_MARKS.sub("", text)).strip()  # Arabic dates carry marks
    language = locale.split("_")[0]
    if re.search(r"[^\W\d_]", text):  # letters: a month in words
        words = read_words(text, language)
        if words is None:
            raise DateInputError(DateProblem.UNREADABLE)
        calendar, year, month, day = words
        if calendar == ETHIOPIAN:
            return [_from_ethiopian(year, month, day)]
        if calendar == SOLAR:
            return [_from_solar(year, str(month), str(day))]
        return [_gregorian(year, month, day)]
    parts = re.findall(r"\d+", text)
    if len(parts) != 3 or re.search(r"[^\d\s./\-]", text):
        raise DateInputError(DateProblem.UNREADABLE)
    a, b, c = parts
    if language == "fa" and (solar := _solar_year(a, c)) is not None:
        return [_from_solar(solar, b, a if solar == int(c) else c)]
    readings: list[date] = []
    problem = DateProblem.UNREADABLE
    attempts = [_ethiopian_digits, _gregorian_digits] if language == "am" else \
        [_gregorian_digits]
    for attempt in attempts:
        try:
            value = attempt(a, b, c, regional(locale, country))
        except DateInputError as exc:
            problem = exc.problem if exc.problem is DateProblem.IMPOSSIBLE else problem
            continue
        if value not in readings:
            readings.append(value)
    if not readings:
        raise DateInputError(problem)
    return readings


def parse_date(text: str, locale: str, country: str | None = None) -> date:
    """The most likely reading of a typed date (see ``read_dates``)."""
    return read_dates(text, locale, country)[0]


def _gregorian(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateInputError(DateProblem.IMPOSSIBLE) from exc


def _year(text: str) -> int:
    return int(text) + (2000 if len(text) == 2 else 0)


def _gregorian_digits(a: str, b: str, c: str, locale: str) -> date:
    if len(a) == 4:
        return _gregorian(int(a), int(b), int(c))
    if len(c) not in (2, 4):
        raise DateInputError(DateProblem.UNREADABLE)
    first, second = int(a), int(b)
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        month, day = first, second
    elif _day_first(locale):
        day, month = first, second
    else:
        month, day = first, second
    return _gregorian(_year(c), month, day)


def _ethiopian_digits(a: str, b: str, c: str, _locale: str) -> date:
    """Ethiopian dates are written day/month/year (or year first, as ISO)."""
    if len(a) == 4:
        return _from_ethiopian(int(a), int(b), int(c))
    if len(c) not in (2, 4):
        raise DateInputError(DateProblem.UNREADABLE)
    return _from_ethiopian(_year(c), int(b), int(a))


def _from_ethiopian(year: int, month: int, day: int) -> date:
    if not (1 <= month <= 13 and 1 <= day <= 30):
        raise DateInputError(DateProblem.IMPOSSIBLE)
    value = date(*coptic.to_gregorian(year - ETHIOPIAN_OFFSET, month, day))
    if coptic.from_gregorian(value.year, value.month, value.day) != (
            year - ETHIOPIAN_OFFSET, month, day):
        raise DateInputError(DateProblem.IMPOSSIBLE)  # e.g. Pagume 6 in a common year
    return value


def example_date(locale: str, country: str | None = None, value: date | None = None) -> str:
    """How to type a date in this locale (``value``, else 14 March 2026), shown in
    questions: in the Ethiopian calendar for Amharic, as Amharic speakers would write it."""
    value = value or date(2026, 3, 14)
    if locale.split("_")[0] == "am":
        year, month, day = coptic.from_gregorian(value.year, value.month, value.day)
        return f"{day}/{month}/{year + ETHIOPIAN_OFFSET}"
    return format_date(value, format="short", locale=Locale.parse(regional(locale, country)))


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
    gregorian = format_date(value, format="long", locale=Locale.parse(regional(locale, country)))
    local = local_date(value, locale, country)
    return f"{local} ({gregorian})" if local else gregorian


def ethiopian_months(start: date, end: date, limit: int = 12) -> list[tuple[int, str, date]]:
    """The Ethiopian months from ``end``'s back to ``start``'s, newest first (at most
    ``limit``): how many months after ``start``'s month each is, its name and year, and
    the Gregorian date of its 15th (to show the Gregorian month beside). Pagume, the five or
    six days after Nehase, counts with Nehase."""
    def month_of(value: date) -> int:
        year, month, _ = coptic.from_gregorian(value.year, value.month, value.day)
        return year * 12 + min(month, 12) - 1

    first, last = month_of(start), month_of(end)
    months: list[tuple[int, str, date]] = []
    for ordinal in range(last, max(first - 1, last - limit), -1):
        year, month = divmod(ordinal, 12)
        middle = date(*coptic.to_gregorian(year, month + 1, 15))
        months.append((ordinal - first,
                       f"{ETHIOPIAN_MONTHS[month]} {year + ETHIOPIAN_OFFSET}", middle))
    return months
