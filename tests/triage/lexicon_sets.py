"""The lexicon's regression sets: recall per tier and false positives, per language.

These sets were written with the lexicons, by the same people, so they show that the
phrases do what they say, not how triage does on messages it has never seen: that is
``tests/triage/evaluate.py``, on the banks' test split.
Reads the labelled sets ``tests/triage/<lang>.tsv`` (``tier<TAB>message``, tier 0 for a
benign message) and prints, for each language, Tier 1 recall, Tier 1+2 recall and the
false-positive rate on benign messages, against the targets. Exits 1 below a target.

    .venv/bin/python tests/triage/lexicon_sets.py [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flows.triage import Triage  # noqa: E402

HERE = Path(__file__).resolve().parent
TARGETS = {"tier1_recall": 0.95, "tier12_recall": 0.90, "false_positive_rate": 0.10}


@dataclass
class Score:
    language: str
    messages: int
    tier1_recall: float
    tier12_recall: float
    false_positive_rate: float
    misses: list[str]

    def failures(self) -> list[str]:
        found = []
        if self.tier1_recall < TARGETS["tier1_recall"]:
            found.append("Tier 1 recall")
        if self.tier12_recall < TARGETS["tier12_recall"]:
            found.append("Tier 1+2 recall")
        if self.false_positive_rate > TARGETS["false_positive_rate"]:
            found.append("false positives")
        return found


def labelled(language: str) -> list[tuple[int, str]]:
    rows = []
    path = HERE / f"{language}.tsv"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        tier, _, text = line.partition("\t")
        if tier not in {"0", "1", "2", "3"} or not text:
            raise ValueError(f"{path}:{number}: expected 'tier<TAB>message'")
        rows.append((int(tier), text))
    return rows


def ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def evaluate(triage: Triage, language: str) -> Score:
    rows = labelled(language)
    predicted = [(expected, triage.assess(text, [language]).tier or 0, text)
                 for expected, text in rows]
    t1 = [p for e, p, _ in predicted if e == 1]
    t12 = [p for e, p, _ in predicted if e in (1, 2)]
    benign = [p for e, p, _ in predicted if e == 0]
    misses = [f"expected {e}, got {p or '-'}: {t}" for e, p, t in predicted
              if (e == 1 and p != 1) or (e == 2 and p not in (1, 2)) or (e == 0 and p)]
    return Score(language, len(rows), ratio(sum(p == 1 for p in t1), len(t1)),
                 ratio(sum(p in (1, 2) for p in t12), len(t12)),
                 ratio(sum(p != 0 for p in benign), len(benign)), misses)


def languages() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.tsv"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    triage = Triage.load(semantic=False)
    print(f"{'lang':<6}{'messages':>9}{'T1 recall':>11}{'T1+2 recall':>13}{'false pos.':>12}")
    failed = False
    for language in languages():
        score = evaluate(triage, language)
        print(f"{language:<6}{score.messages:>9}{score.tier1_recall:>11.2f}"
              f"{score.tier12_recall:>13.2f}{score.false_positive_rate:>12.2f}"
              f"{'   below target: ' + ', '.join(score.failures()) if score.failures() else ''}")
        failed = failed or bool(score.failures())
        if args.verbose:
            for miss in score.misses:
                print(f"    {miss}")
    print(f"targets: T1 recall >= {TARGETS['tier1_recall']}, T1+2 recall >= "
          f"{TARGETS['tier12_recall']}, false positives <= {TARGETS['false_positive_rate']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
