"""Example banks: labelled messages per language that the semantic layer learns from.

``locales/<lang>/distress-examples.yaml`` holds examples for training and for choosing the
thresholds (a fifth of it, chosen by a hash of the text, is the dev split);
``locales/<lang>/distress-examples.test.yaml`` holds the test split, written apart from the
rest and only ever measured. Country offices add examples (how people in their country write)
without code, then run ``homecoming triage build``::

    language: fr
    examples:
      - {category: suicide, text: "jpeux plus continuer comme ça, bientôt vous serez tranquilles"}
      - {category: violence, tier: 2, text: "en Libye on m'a frappé, c'était il y a 4 ans"}
      - {category: none, text: "ce soleil me tue, vivement la pluie"}

``category`` is one of the lexicon's categories or ``none``; ``tier`` is given only where
it differs from the category's (violence told as long past is Tier 2, domain.md §7).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from flows.l10n.content import ContentError, read_yaml

BANK = "distress-examples.yaml"
TEST_BANK = "distress-examples.test.yaml"
NONE = "none"
DEV_SHARE = 5  # one example in five (by hash) is dev


class BankError(ContentError):
    """A bank that cannot be used; the message names the file and, if known, the line."""


class ExampleSpec(BaseModel):
    category: str
    text: str = Field(min_length=1)
    tier: int | None = Field(default=None, ge=1, le=3)


class BankFile(BaseModel):
    language: str
    examples: list[ExampleSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Example:
    language: str
    text: str
    category: str  # "none" for a message that needs nobody
    tier: int | None  # None for "none"
    split: str  # train, dev or test

    @property
    def label(self) -> str:
        """The class the classifier learns: the category, with its tier where it differs."""
        return self.category if self.tier is None else f"{self.category}:{self.tier}"


def _split(text: str) -> str:
    digest = hashlib.sha256(text.strip().casefold().encode("utf-8")).digest()
    return "dev" if digest[0] % DEV_SHARE == 0 else "train"


def read_bank(path: Path, tiers: dict[str, int], test: bool = False) -> list[Example]:
    """The examples of one bank file, checked against the lexicon's categories and tiers."""
    spec = read_yaml(path, BankFile, BankError)
    known = sorted(tiers)
    examples = []
    seen: set[str] = set()
    for number, item in enumerate(spec.examples, start=1):
        if item.category != NONE and item.category not in tiers:
            raise BankError(f"{path}: example {number}: category {item.category!r} is not in "
                            f"the lexicon (one of: none, {', '.join(known)})")
        if item.category == NONE and item.tier is not None:
            raise BankError(f"{path}: example {number}: a 'none' example has no tier")
        key = item.text.strip().casefold()
        if key in seen:
            raise BankError(f"{path}: example {number}: the same text twice")
        seen.add(key)
        tier = None
        if item.category != NONE:
            tier = item.tier if item.tier not in (None, tiers[item.category]) else None
        examples.append(Example(spec.language, item.text.strip(), item.category, tier,
                                "test" if test else _split(item.text)))
    return examples


def tier_of(example: Example, tiers: dict[str, int]) -> int | None:
    if example.category == NONE:
        return None
    return example.tier or tiers[example.category]


def bank_paths(locales_dir: Path) -> list[Path]:
    return sorted([*locales_dir.glob(f"*/{BANK}"), *locales_dir.glob(f"*/{TEST_BANK}")])


def load_banks(locales_dir: Path, tiers_by_language: dict[str, dict[str, int]]
               ) -> list[Example]:
    """Every example of every language, in a fixed order (language, file, line)."""
    examples: list[Example] = []
    for path in bank_paths(locales_dir):
        language = path.parent.name
        tiers = tiers_by_language.get(language) or tiers_by_language.get("en") or {}
        examples.extend(read_bank(path, tiers, test=path.name == TEST_BANK))
    return examples


def digest(locales_dir: Path, exclude_test: bool = True) -> str:
    """A fingerprint of what the classifier is built from (not the test split)."""
    h = hashlib.sha256()
    for path in bank_paths(locales_dir):
        if exclude_test and path.name == TEST_BANK:
            continue
        h.update(path.parent.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
