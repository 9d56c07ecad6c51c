"""Who staff are, as casework sees them (StaffView: role, country scope, language), the
one-time invite codes they join with, and the profile fields a case manager records.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flows.l10n.i18n import Catalogs
from flows.l10n.places import find_country

# Case management (case_desk.py and its parts): assignment, sessions, plan, referrals.
CASE_COMMANDS = frozenset({"assign", "caseload", "gender", "session", "plan", "provider",
                           "refer", "unmet"})

STAFF_COMMANDS = frozenset({"queue", "case", "endchat", "profile", "console"}) | CASE_COMMANDS

PROFILES = ("standard", "vulnerable", "trafficking", "minor")

STAFF_BUTTON = "esc:"

INVITE_PREFIX = "staff-"

SEXES = ("female", "male", "other")



MAX_CASE = 2**31 - 1  # case numbers are 32-bit integers in every database


def case_number(raw: str) -> int | None:
    """A case number a staff member typed or a button carries ("12", "#12"), or None:
    ASCII digits only (``int`` would take "١٢", and "²" would crash it), and
    within the database's range."""
    raw = raw.strip().lstrip("#")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= MAX_CASE:
        return None
    return int(raw)


def is_pseudonym(raw: str) -> bool:
    """Whether ``raw`` has the shape of a returnee's pseudonym ("R-7KQ2MX9P")."""
    return bool(re.fullmatch(r"R-[A-Z0-9]{8}", raw.upper()))


def unparsed(tokens: list[str], today: date) -> int | None:
    """The position (from 1) of the first /profile token not understood, or None."""
    return next((n for n, token in enumerate(tokens, 1)
                 if parse_profile([token], today) is None), None)


def parse_profile(tokens: list[str], today: date) -> dict[str, Any] | None:
    """The fields a /profile command sets, or None if any token is not understood."""
    fields: dict[str, Any] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        key, value = key.lower(), value.strip()
        if not sep and key in PROFILES:
            fields["profile"] = key
        elif key == "sex" and value.lower() in SEXES:
            fields["sex"] = value.lower()
        elif (key == "born" and value.isascii() and value.isdigit() and len(value) == 4
              and 1900 <= int(value) <= today.year):
            fields["birth_year"] = int(value)
        elif key == "host" and len(value) == 2 and find_country(value, "en") is not None:
            fields["host_country"] = value.upper()
        elif key == "left" and (left := _month_or_day(value)) is not None and left <= today:
            fields["departed_on"] = left
        elif key == "until" and re.fullmatch(r"\d{1,2}m?", value) and 12 <= int(
                value.rstrip("m")) <= 36:
            fields["followup_until_months"] = int(value.rstrip("m"))  # follow-up extended
        else:
            return None
    return fields or None



def _month_or_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value if value.count("-") == 2 else f"{value}-01")
    except ValueError:
        return None



def invite_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()



@dataclass(frozen=True, slots=True)
class StaffView:
    id: int
    pseudonym: str
    channel: str
    chat_id: str
    role: str
    country: str | None
    locale: str
    pending: dict[str, Any]

    @classmethod
    def of(cls, row: Any, catalogs: Catalogs) -> StaffView:
        languages = list(row.languages or [])
        return cls(row.id, row.pseudonym, row.channel, row.chat_id, row.role, row.country,
                   catalogs.best_match(languages[0] if languages else None), dict(row.pending))

    def may_see(self, country: str | None) -> bool:
        """Admins see every country; others their own (and people with no country yet)."""
        return self.role == "admin" or self.country is None or country in (self.country, None)

