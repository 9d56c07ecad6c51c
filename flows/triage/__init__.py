"""Reading distress: normalisation and lexicons, the semantic layer, language detection,
and the decision (alert, ask, nothing). ``Triage`` is the one entry point."""

from flows.triage.lexicon import LexiconError, Lexicons, load_lexicon, normalise
from flows.triage.triage import NOTHING, Embedded, NeedsEmbedding, Triage, TriageResult

__all__ = ["NOTHING", "Embedded", "LexiconError", "Lexicons", "NeedsEmbedding", "Triage",
           "TriageResult", "load_lexicon", "normalise"]
