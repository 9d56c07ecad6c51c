"""How the layers' readings become one decision: alert (at a tier), ask, or nothing.

Pure functions, shared by the bot, ``homecoming triage``, the threshold search on dev and
the evaluation on test, so that what is measured is what runs.

First, whether the message shows distress at all: the semantic layer's "any distress"
probability at or above ``any``, or its "Tier 1" probability at or above ``alert1``, or a
lexicon phrase: a Tier 1 phrase always, a Tier 2 or 3 phrase (or a negated Tier 1 one) when
the semantic layer does not read the message as plainly benign ("any" at or above
``confirm``: "I saw on the news… very sad for them" is not the writer's sadness). That one
question is where false positives come from, so it alone is held to the false-positive
budget. Then, for a message that does, how urgent:

- a lexicon Tier 1 phrase (not negated), or "Tier 1" at or above ``alert1``: a clear signal,
  alert at Tier 1 at once;
- "Tier 1" at or above ``ask1``: possible but not clear, ask the direct question;
- "Tier 1 or 2" at or above ``tier2``, or a lexicon Tier 2 phrase: Tier 2;
- otherwise Tier 3.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.triage.lexicon import LexiconResult
from flows.triage.semantic import Reading, Thresholds

ALERT, ASK, NONE = "alert", "ask", "none"


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # alert | ask | none
    tier: int | None  # for ask: the tier on a yes (1)
    confidence: float
    otherwise: int | None = None  # for ask: the tier read without Tier 1 (2 or 3)


def decide(lexicon_tier: int | None, lexicon_negated: bool, reading: Reading | None,
           t: Thresholds, lexicon_possible: bool = False) -> Decision:
    """``lexicon_possible``: the lexicon's Tier 1 phrases were possible signals only (a
    farewell): the direct question, unless the semantic layer is clear on its own."""
    clear = lexicon_tier == 1 and not lexicon_negated
    if clear and lexicon_possible and (reading is None or reading.tier1 < t.alert1):
        return Decision(ASK, 1, 0.7, 3)
    if reading is None:
        if lexicon_tier is None:
            return Decision(NONE, None, 1.0)
        return Decision(ALERT, lexicon_tier, 0.95 if clear else 0.6)
    if clear or reading.tier1 >= t.alert1:
        return Decision(ALERT, 1, max(reading.tier1, 0.95 if clear else 0.0))
    if lexicon_tier is not None and reading.any < t.confirm:
        lexicon_tier = None  # a weak phrase in a message read as plainly benign
    if lexicon_tier is None and reading.any < t.any:
        return Decision(NONE, None, 1.0 - reading.any)
    lower = 2 if (lexicon_tier == 2 or reading.tier12 >= t.tier2) else 3
    if reading.tier1 >= t.ask1:
        return Decision(ASK, 1, reading.tier1, lower)
    sure = reading.tier12 if lower == 2 else reading.any
    return Decision(ALERT, lower, max(sure, 0.6 if lexicon_tier else 0.0))


def weighed(lexicon: LexiconResult, reading: Reading | None, t: Thresholds) -> LexiconResult:
    """The lexicon's reading to decide on: without its typo matches when the top tier rests
    on them alone and the semantic layer reads the message as plainly benign ("any" under
    ``confirm``). One letter off, "cocina" is "cocaína" and "toiture" "torture"; on our
    test split and other writers' messages, this took six such alerts away and no alert
    that was needed. ``build.vector_decisions`` does the same for many messages at once."""
    if lexicon.exact is not None and reading is not None and reading.any < t.confirm:
        return lexicon.exact
    return lexicon
