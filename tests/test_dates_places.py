"""Typed dates and country names, as people write them."""

from __future__ import annotations

from datetime import date

import pytest

from flows.dates import DateInputError, DateProblem, example_date, parse_date
from flows.places import find_country


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
        ("14 mars 2026", DateProblem.UNREADABLE),
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
