"""Triage evaluation on the banks' test split: recall per tier, "reach a person" and false
positives, per language and per layer (lexicon alone, semantic alone, both: what runs).

The test split (``locales/<lang>/distress-examples.test.yaml``) was written apart from the
examples the classifier learns from and is never used to choose anything. Definitions:

- Tier 1 recall: Tier 1 messages alerted at Tier 1 or asked the direct question;
- reach: Tier 1 and 2 messages alerted at Tier 1 or 2, or asked;
- Tier 2 / Tier 3 recall: messages of that tier alerted at that tier or above (or asked);
- false positives: benign messages alerted at any tier, or asked.

    .venv/bin/python tests/triage/evaluate.py [--verbose]

Exits 1 below a target. ``tests/triage/<lang>.tsv`` are the lexicon's own regression sets
(``tests/test_triage.py``), written with the lexicons, not an evaluation.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flows.l10n.i18n import DEFAULT_LOCALES_DIR  # noqa: E402
from flows.triage import Triage  # noqa: E402
from flows.triage.banks import Example, load_banks, tier_of  # noqa: E402

TARGETS = {"tier1_recall": 0.85, "tier1_recall_each": 0.75, "reach": 0.90,
           "false_positives": 0.15}
LAYERS = ("lexicon", "semantic", "both")


@dataclass
class Score:
    messages: int = 0
    counts: dict[str, list[int]] = field(default_factory=lambda: {
        k: [0, 0] for k in ("tier1", "tier2", "tier3", "reach", "false_positives")})
    misses: list[str] = field(default_factory=list)

    def add(self, key: str, hit: bool) -> None:
        self.counts[key][0] += int(hit)
        self.counts[key][1] += 1

    def rate(self, key: str) -> float:
        hits, total = self.counts[key]
        return hits / total if total else float("nan")


def test_examples(locales_dir: Path, triage: Triage) -> list[Example]:
    tiers = {lang: lex.tiers for lang, lex in triage.lexicons.lexicons.items()}
    return [e for e in load_banks(locales_dir, tiers) if e.split == "test"]


def evaluate(triage: Triage, examples: list[Example]) -> Score:
    score = Score()
    tiers = triage.lexicons.lexicons["en"].tiers
    for example in examples:
        truth = tier_of(example, tiers)
        result = triage.assess_now(example.text, [example.language])
        asked = result.action == "ask"
        got = result.tier if result.action == "alert" else None
        score.messages += 1
        if truth is None:
            wrong = asked or got is not None
            score.add("false_positives", wrong)
            if wrong:
                score.misses.append(f"benign, got {result.action} {got or ''}: {example.text}")
            continue
        score.add(f"tier{truth}", asked or (got is not None and got <= truth))
        if truth <= 2:
            reached = asked or (got is not None and got <= 2)
            score.add("reach", reached)
            if not reached:
                score.misses.append(f"tier {truth} ({example.category}), got "
                                    f"{result.action} {got or ''}: {example.text}")
    return score


def triages(locales_dir: Path) -> dict[str, Triage]:
    both = Triage.load(locales_dir)
    return {"lexicon": Triage.load(locales_dir, semantic=False),
            "semantic": Triage(both.lexicons, both.model, both.embedder, use_lexicon=False),
            "both": both}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss (both)")
    args = parser.parse_args()
    layers = triages(DEFAULT_LOCALES_DIR)
    examples = test_examples(DEFAULT_LOCALES_DIR, layers["both"])
    languages = sorted({e.language for e in examples})
    print(f"{'lang':<6}{'layer':<10}{'n':>5}{'T1 rec':>8}{'T2 rec':>8}{'T3 rec':>8}"
          f"{'reach':>8}{'false +':>9}")
    overall: dict[str, Score] = {}
    failed = []
    for language in [*languages, "all"]:
        chosen = [e for e in examples if language in ("all", e.language)]
        for layer in LAYERS:
            if layer not in layers or (layer == "semantic" and not layers[layer].semantic):
                continue
            score = evaluate(layers[layer], chosen)
            if language == "all":
                overall[layer] = score
            print(f"{language:<6}{layer:<10}{score.messages:>5}{score.rate('tier1'):>8.2f}"
                  f"{score.rate('tier2'):>8.2f}{score.rate('tier3'):>8.2f}"
                  f"{score.rate('reach'):>8.2f}{score.rate('false_positives'):>9.2f}")
            if layer == "both" and language != "all" and score.rate(
                    "tier1") < TARGETS["tier1_recall_each"]:
                failed.append(f"{language} Tier 1 recall")
            if args.verbose and layer == "both" and language != "all":
                for miss in score.misses:
                    print(f"      {miss}")
    both = overall["both"]
    if both.rate("tier1") < TARGETS["tier1_recall"]:
        failed.append("Tier 1 recall")
    if both.rate("reach") < TARGETS["reach"]:
        failed.append("reach")
    if both.rate("false_positives") > TARGETS["false_positives"]:
        failed.append("false positives")
    print(f"targets (both layers): Tier 1 recall >= {TARGETS['tier1_recall']} overall and "
          f">= {TARGETS['tier1_recall_each']} in each language, reach >= {TARGETS['reach']}, "
          f"false positives <= {TARGETS['false_positives']}")
    if failed:
        print("below target: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
