"""Country packs: what differs by country, as data (``locales/countries/<CC>.yaml``).

Emergency contacts (and whether each is safe to recommend to a returnee), acknowledgement
targets per referral tier, the time zone and the hours when the bot may write first, and
follow-up schedule overrides. Country offices edit the YAML; a pack that does not validate
is refused with its file and problem.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from flows.followups.schedule import Kind, Profile, parse_offset
from flows.l10n.content import ContentError, read_yaml
from flows.l10n.i18n import DEFAULT_LOCALES_DIR

# Ours (domain.md §7): acknowledge Tier 1 within 15 minutes, Tier 2 within 4 hours, Tier 3
# within 2 days, unless the country pack says otherwise.
DEFAULT_ACK_MINUTES = {1: 15, 2: 240, 3: 2880}


class EmergencyContact(BaseModel):
    kind: str  # police, ambulance, crisis_line, gbv_hotline, trafficking_hotline, ...
    name: str
    number: str
    safe_to_recommend: bool = Field(
        description="False for services that could put a returnee at risk (some police).")


TOPICS = ("arrival", "assistance", "housing", "documents", "health", "work", "money",
          "family", "legal", "feelings")


TRANSLATABLE = ("name", "offers", "where", "hours", "cost", "eligibility")


class Service(BaseModel):
    """One entry of the services directory a returnee may be referred to."""

    name: str
    topics: list[str]  # which information topics list it
    offers: str
    where: str
    hours: str = ""
    contact: str = ""
    languages: list[str] = []
    cost: str = ""
    eligibility: str = ""  # who can go: the preconditions and limits
    verified: date  # the last time the country office checked it
    # The same fields in other languages, per language: {"fr": {"offers": "…"}}.
    translations: dict[str, dict[str, str]] = {}

    @field_validator("translations")
    @classmethod
    def _translated_fields(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for lang, fields in value.items():
            unknown = set(fields) - set(TRANSLATABLE)
            if unknown:
                raise ValueError(f"translations.{lang}: unknown fields {sorted(unknown)}; "
                                 f"use {', '.join(TRANSLATABLE)}")
        return value

    def field(self, name: str, locale: str) -> str:
        """A field in the reader's language when the pack has it, else as written."""
        language = locale.split("_")[0]
        translated = self.translations.get(locale) or self.translations.get(language) or {}
        return str(translated.get(name) or getattr(self, name))

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        unknown = set(value) - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown topics {sorted(unknown)}; use {', '.join(TOPICS)}")
        return value


class CountryPack(BaseModel):
    code: str
    name: str
    sample: bool = False  # shipped example data: verify before use
    timezone: str = "UTC"
    emergency_contacts: list[EmergencyContact] = []
    services: list[Service] = []
    # Country wording that replaces the generic text for this country's returnees, per
    # language: {"fr": {"English source text": "texte du pays"}}.
    messages: dict[str, dict[str, str]] = {}
    acknowledgement_minutes: dict[int, int] = Field(default_factory=lambda: dict(
        DEFAULT_ACK_MINUTES))
    # Local hours when the bot may write first (check-ins, reminders): [start, end).
    allowed_hours: tuple[int, int] = (9, 20)
    checkin_local_time: time = time(10, 0)
    # Per profile and kind, offsets from the return date that replace the defaults:
    # {"standard": {"checkin": ["2w", "4w", "2m"]}}.
    schedule_overrides: dict[str, dict[str, list[str]]] = {}
    # Days after a referral is made before the returnee is asked whether they reached the
    # service and whether it helped (ours: two weeks).
    referral_follow_up_days: int = Field(default=14, ge=1, le=180)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (e.g. Africa/Dakar)") from None
        return value

    @field_validator("allowed_hours")
    @classmethod
    def _hours(cls, value: tuple[int, int]) -> tuple[int, int]:
        start, end = value
        if not 0 <= start < end <= 24:
            raise ValueError("give [start, end] hours with 0 <= start < end <= 24")
        return value

    @field_validator("schedule_overrides")
    @classmethod
    def _overrides(cls, value: dict[str, dict[str, list[str]]]
                   ) -> dict[str, dict[str, list[str]]]:
        for profile, kinds in value.items():
            Profile(profile)
            for kind, offsets in kinds.items():
                Kind(kind)
                for offset in offsets:
                    parse_offset(offset)
        return value

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("use the two-letter ISO code in capitals, e.g. SN")
        return value

    @field_validator("acknowledgement_minutes")
    @classmethod
    def _tiers(cls, value: dict[int, int]) -> dict[int, int]:
        if set(value) != {1, 2, 3} or any(m <= 0 for m in value.values()):
            raise ValueError("give positive minutes for tiers 1, 2 and 3")
        return value

    def ack_target(self, tier: int) -> timedelta:
        return timedelta(minutes=self.acknowledgement_minutes.get(tier, DEFAULT_ACK_MINUTES[3]))

    def services_for(self, topic: str) -> list[Service]:
        return [s for s in self.services if topic in s.topics]

    @property
    def safe_contacts(self) -> list[EmergencyContact]:
        return [c for c in self.emergency_contacts if c.safe_to_recommend]


class CountryPackError(ContentError):
    """A pack that cannot be used; the message names the file and the problem."""


DEFAULT_PACK = CountryPack(code="ZZ", name="(no country pack)")


class CountryPacks:
    def __init__(self, packs: dict[str, CountryPack]) -> None:
        self.packs = packs

    @classmethod
    def load(cls, locales_dir: Path = DEFAULT_LOCALES_DIR) -> CountryPacks:
        return cls({pack.code: pack for pack in
                    (_load(str(p), p.stat().st_mtime)
                     for p in sorted((locales_dir / "countries").glob("*.yaml")))})

    def get(self, code: str | None) -> CountryPack:
        return self.packs.get(code or "", DEFAULT_PACK)


@lru_cache(maxsize=64)
def _load(path: str, _mtime: float) -> CountryPack:
    pack = read_yaml(Path(path), CountryPack, CountryPackError)
    if Path(path).stem != pack.code:
        raise CountryPackError(f"{path}: code {pack.code} does not match the file name")
    return pack
