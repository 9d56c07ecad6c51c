"""Country packs: what differs by country, as data (``locales/countries/<CC>.yaml``).

This module reads what the escalation queue needs: emergency contacts (and whether each is
safe to recommend to a returnee) and acknowledgement targets per referral tier. Country
offices edit the YAML; a pack that does not validate is refused with its file and problem.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from flows.i18n import DEFAULT_LOCALES_DIR

# Ours (domain.md §7): acknowledge Tier 1 within 15 minutes, Tier 2 within 4 hours, Tier 3
# within 2 days, unless the country pack says otherwise.
DEFAULT_ACK_MINUTES = {1: 15, 2: 240, 3: 2880}


class EmergencyContact(BaseModel):
    kind: str  # police, ambulance, crisis_line, gbv_hotline, trafficking_hotline, ...
    name: str
    number: str
    safe_to_recommend: bool = Field(
        description="False for services that could put a returnee at risk (some police).")


class CountryPack(BaseModel):
    code: str
    name: str
    sample: bool = False  # shipped example data: verify before use
    timezone: str = "UTC"
    emergency_contacts: list[EmergencyContact] = []
    acknowledgement_minutes: dict[int, int] = Field(default_factory=lambda: dict(
        DEFAULT_ACK_MINUTES))

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

    @property
    def safe_contacts(self) -> list[EmergencyContact]:
        return [c for c in self.emergency_contacts if c.safe_to_recommend]


class CountryPackError(Exception):
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
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise CountryPackError(f"{where}: not valid YAML") from None
    try:
        pack = CountryPack.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise CountryPackError(f"{path}: {place}: {first['msg']}") from None
    if Path(path).stem != pack.code:
        raise CountryPackError(f"{path}: code {pack.code} does not match the file name")
    return pack
