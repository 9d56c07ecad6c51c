"""Scores of the Reintegration Sustainability Survey from a versioned weights file.

The weights file (``flows/research/data/rss-weights.yaml`` by default; its header explains the
method) maps every answer of every item to a value from 0 to 1 and gives each item a weight.
It is checked against the items on load: a file that names an unknown item or answer, or a
value outside 0…1, is refused with one line naming the file and the place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from flows.l10n.content import ContentError, read_yaml
from flows.research.rss import (
    COMPUTED_ITEM,
    DIMENSIONS,
    DONT_KNOW_FLAG,
    ITEMS,
    MODES,
    NOT_APPLICABLE,
    AnswerError,
    abstentions,
    validate,
)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "rss-weights.yaml"
LOW, HIGH = 0.33, 0.66  # suggestions to the case manager (domain.md §8), never decisions


class WeightsError(ContentError):
    """A weights file that cannot be used."""


class ItemWeight(BaseModel):
    weight: float = Field(ge=0)
    values: dict[str, float] = Field(default_factory=dict)
    any: float | None = Field(default=None, ge=0, le=1)
    none: float | None = Field(default=None, ge=0, le=1)
    mean_of: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _in_range(self) -> ItemWeight:
        for code, value in self.values.items():
            if not 0 <= value <= 1:
                raise ValueError(f"value of {code!r} must be between 0 and 1")
        return self


class WeightsFile(BaseModel):
    version: str = Field(min_length=1)
    provisional: bool
    composite: dict[str, float]
    items: dict[int, ItemWeight]

    @model_validator(mode="after")
    def _matches_items(self) -> WeightsFile:
        if set(self.composite) != set(DIMENSIONS):
            raise ValueError(f"composite must weigh exactly {', '.join(DIMENSIONS)}")
        missing = sorted(set(ITEMS) - set(self.items))
        unknown = sorted(set(self.items) - set(ITEMS))
        if missing or unknown:
            raise ValueError(f"items missing {missing} or unknown {unknown}: every item 1–32 "
                             "must be listed (weight 0 to record without scoring)")
        for number, spec in self.items.items():
            item = ITEMS[number]
            if number == COMPUTED_ITEM:
                if not spec.mean_of or not set(spec.mean_of) <= set(ITEMS) - {COMPUTED_ITEM}:
                    raise ValueError("item 21 needs mean_of: the items it is computed from")
                continue
            if item.multiple:
                if spec.any is None or spec.none is None:
                    raise ValueError(f"item {number} is multiple choice: give any and none")
                continue
            answers = {code for code, _ in item.options} - {NOT_APPLICABLE}
            unknown_codes = set(spec.values) - answers
            if unknown_codes:
                raise ValueError(f"item {number}: unknown answers {sorted(unknown_codes)}")
            if spec.weight > 0 and set(spec.values) != answers:
                raise ValueError(f"item {number}: values needed for {sorted(answers)}")
        return self


@dataclass(frozen=True, slots=True)
class Scores:
    economic: float | None
    social: float | None
    psychosocial: float | None
    composite: float | None
    weights_version: str
    provisional: bool
    abstentions: int
    mode: str
    item_values: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        """More "don't know / don't wish to answer" answers than the handbook's limit."""
        return self.abstentions > DONT_KNOW_FLAG

    def by_dimension(self) -> dict[str, float | None]:
        return {"economic": self.economic, "social": self.social,
                "psychosocial": self.psychosocial}

    def as_dict(self) -> dict[str, Any]:
        return {**self.by_dimension(), "composite": self.composite,
                "weights_version": self.weights_version, "provisional": self.provisional,
                "dont_know_or_refused": self.abstentions, "flagged": self.flagged,
                "mode": self.mode}


def suggestion(score: float | None) -> str:
    """The handbook's reading of a score: a suggestion for the case manager, nothing more."""
    if score is None:
        return "unknown"
    if score < LOW:
        return "intensified"
    if score > HIGH:
        return "light"
    return "regular"


class Weights:
    def __init__(self, spec: WeightsFile, path: Path) -> None:
        self.spec = spec
        self.path = path

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def provisional(self) -> bool:
        return self.spec.provisional

    def provisional_for(self, version: str) -> bool:
        """Whether scores made with ``version`` are provisional (an older or unknown version
        is called provisional: nothing says it was validated)."""
        return self.spec.provisional if version == self.spec.version else True

    @classmethod
    def default(cls) -> Weights:
        """The shipped weights, read once per process."""
        return _default_weights()

    @classmethod
    def load(cls, path: Path | None = None) -> Weights:
        path = path or DEFAULT_WEIGHTS
        if not path.exists():
            raise WeightsError(f"{path}: no such weights file")
        return cls(read_yaml(path, WeightsFile, WeightsError), path)

    def _value(self, number: int, answer: Any) -> float | None:
        item = ITEMS[number]
        spec = self.spec.items[number]
        if item.multiple:
            if not isinstance(answer, list):
                return None  # refused
            return spec.none if answer == [item.none_code] else spec.any
        if not isinstance(answer, str):
            return None
        return spec.values.get(answer)  # don't know / refused / n/a: left out

    def score(self, answers: dict[str, Any], mode: str = "chat") -> Scores:
        """Score a complete answer set (raises AnswerError when it is not one)."""
        if mode not in MODES:
            raise AnswerError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
        clean = validate(answers)
        values: dict[str, float] = {}
        for number in ITEMS:
            if number == COMPUTED_ITEM:
                parts = [v for n in self.spec.items[number].mean_of
                         if (v := self._value(n, clean.get(str(n)))) is not None]
                if parts:
                    values[str(number)] = sum(parts) / len(parts)
                continue
            value = self._value(number, clean.get(str(number)))
            if value is not None:
                values[str(number)] = value
        dims: dict[str, float | None] = {}
        for dimension in DIMENSIONS:
            total = weight = 0.0
            for number, item in ITEMS.items():
                w = self.spec.items[number].weight
                if item.dimension == dimension and w > 0 and str(number) in values:
                    total += w * values[str(number)]
                    weight += w
            dims[dimension] = round(total / weight, 3) if weight else None
        known = [(self.spec.composite[d], s) for d, s in dims.items() if s is not None]
        weight = sum(w for w, _ in known)
        composite = round(sum(w * s for w, s in known) / weight, 3) if weight else None
        return Scores(dims["economic"], dims["social"], dims["psychosocial"], composite,
                      self.spec.version, self.spec.provisional,
                      abstentions(clean), mode,
                      values)


@cache
def _default_weights() -> Weights:
    return Weights.load(DEFAULT_WEIGHTS)
