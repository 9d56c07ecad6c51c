"""Typed dates and country names, as people write them."""

from __future__ import annotations

from datetime import date

import pytest

from flows.l10n.dates import DateInputError, DateProblem, example_date, parse_date
from flows.l10n.places import find_country


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("14/03/2026", "fr", date(2026, 3, 14)),
        ("14.3.26", "fr", date(2026, 3, 14)),
        ("2026-03-14", "en", date(2026, 3, 14)),
        ("3/4/26", "en", date(2026, 3, 4)),  # en (US) reads month first
        ("3/4/26", "fr", date(2026, 4, 3)),  # fr reads day first
        ("14/03/2026", "en", date(2026, 3, 14)),  # day above 12: unambiguous
        (" 01 - 02 - 2026 ", "fr", date(2026, 2, 1)),
        ("14\u200f/3\u200f/2026", "ar", date(2026, 3, 14)),  # Babel's Arabic format
        ("١٤/٣/٢٠٢٦", "ar", date(2026, 3, 14)),  # Arabic-Indic digits
    ],
)
def test_parse_date(text: str, locale: str, expected: date) -> None:
    assert parse_date(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31/02/2026", DateProblem.IMPOSSIBLE),
        ("2026-13-01", DateProblem.IMPOSSIBLE),
        ("last spring", DateProblem.UNREADABLE),
        ("14 printemps 2026", DateProblem.UNREADABLE),
        ("mars 2026", DateProblem.UNREADABLE),  # no day
        ("31 février 2026", DateProblem.IMPOSSIBLE),
        ("2026", DateProblem.UNREADABLE),
        ("1/2/345", DateProblem.UNREADABLE),
    ],
)
def test_bad_dates(text: str, problem: DateProblem) -> None:
    with pytest.raises(DateInputError) as caught:
        parse_date(text, "fr")
    assert caught.value.problem is problem


def test_example_dates_follow_the_locale() -> None:
    assert example_date("fr") == "14/03/2026"
    assert example_date("en") == "3/14/26"


@pytest.mark.parametrize(
    ("text", "locale", "code"),
    [
        ("Senegal", "en", "SN"),
        ("sénégal", "fr", "SN"),
        ("SENEGAL", "fr", "SN"),  # English names work in every language
        ("Maroc", "fr", "MA"),
        ("sn", "en", "SN"),
        ("Afghan", "en", "AF"),  # a unique beginning
        ("Niger", "en", "NE"),  # exact beats the longer "Nigeria"
        ("Guinea", "en", "GN"),
    ],
)
def test_find_country(text: str, locale: str, code: str) -> None:
    assert find_country(text, locale) == code


@pytest.mark.parametrize("text", ["Atlantis", "", "Gui", "Guin", "zz"])
def test_unknown_or_ambiguous_country(text: str) -> None:
    assert find_country(text, "en") is None


def test_dates_in_the_readers_calendar_with_the_gregorian_beside() -> None:
    from flows.l10n.dates import long_date

    day = date(2026, 3, 14)
    assert long_date(day, "fa", "AF") == "23 حوت 1404 (14 مارچ 2026)"  # Dari month names
    assert long_date(day, "fa") == "23 اسفند 1404 (14 مارس 2026)"
    assert long_date(date(2026, 3, 21), "fa", "AF").startswith("1 حمل 1405")  # Nowruz
    assert long_date(day, "am").startswith("መጋቢት 5 ቀን 2018 ዓ.ም. (")
    assert long_date(date(2025, 9, 11), "am").startswith("መስከረም 1 ቀን 2018 ዓ.ም.")
    assert long_date(day, "fr") == "14 mars 2026"


def test_a_solar_hijri_date_can_be_typed_in_persian() -> None:
    assert parse_date("1404/12/23", "fa") == date(2026, 3, 14)
    assert parse_date("23/12/1404", "fa") == date(2026, 3, 14)
    assert parse_date("۱۴۰۴/۱۲/۲۳", "fa") == date(2026, 3, 14)  # Persian digits
    assert parse_date("14/03/2026", "fa") == date(2026, 3, 14)  # Gregorian still works
    with pytest.raises(DateInputError) as info:
        parse_date("1404/12/30", "fa")  # Esfand 1404 has 29 days
    assert info.value.problem is DateProblem.IMPOSSIBLE
    assert parse_date("1403/12/30", "fa") == date(2025, 3, 20)  # 1403 was a leap year


@pytest.mark.parametrize(
    ("text", "locale", "country"),
    [
        ("14 March 2026", "en", "NG"),
        ("March 14, 2026", "en", None),
        ("14th of March 2026", "en", "GH"),
        ("14 mars 2026", "fr", "SN"),
        ("le 14 mars 2026", "fr", None),
        ("14 de marzo de 2026", "es", None),
        ("14 مارس 2026", "ar", None),
        ("١٤ آذار ٢٠٢٦", "ar", "SY"),  # the Levantine month, Arabic-Indic digits
        ("14 مارس 2026", "ar", "MA"),
        ("መጋቢት 5 ቀን 2018 ዓ.ም.", "am", "ET"),  # the Ethiopian month: Ethiopian calendar
        ("14 ማርች 2026", "am", "ET"),  # the Gregorian month in Amharic
        ("23 اسفند 1404", "fa", None),
        ("14 مارچ 2026", "fa", "AF"),
    ],
)
def test_dates_in_words(text: str, locale: str, country: str | None) -> None:
    assert parse_date(text, locale, country) == date(2026, 3, 14)


def test_english_in_nigeria_and_ghana_is_day_first() -> None:
    assert parse_date("5/3/2026", "en", "NG") == date(2026, 3, 5)
    assert parse_date("5/3/2026", "en", "GH") == date(2026, 3, 5)
    assert parse_date("5/3/2026", "en", "SN") == date(2026, 3, 5)  # no en_SN: international
    assert parse_date("5/3/2026", "en", "US") == date(2026, 5, 3)
    assert example_date("en", "NG") == "14/03/2026"


def test_amharic_digits_have_both_readings_ethiopian_first() -> None:
    from flows.l10n.dates import read_dates

    assert read_dates("5/7/2018", "am", "ET") == [date(2026, 3, 14), date(2018, 7, 5)]
    assert read_dates("5/13/2018", "am") == [date(2026, 9, 10), date(2018, 5, 13)]  # Pagume
    assert read_dates("6/13/2018", "am") == [date(2018, 6, 13)]  # no Pagume 6 in 2018
    # Both exist; the question keeps the readings that fit it (2033 is no return date).
    assert read_dates("14/03/2026", "am") == [date(2033, 11, 23), date(2026, 3, 14)]
    with pytest.raises(DateInputError):
        read_dates("31/14/2018", "am")
    assert example_date("am", "ET", date(2026, 3, 14)) == "5/7/2018"
