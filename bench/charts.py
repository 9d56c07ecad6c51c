"""How long a chart takes to draw (it is drawn on the sender's drawing thread, off the event
loop): the W model with 5, 20 and 60 points, in English and in Arabic (shaped), a programme
overlay of 100 returnees, and the survey chart. Median of several runs, milliseconds.

    .venv/bin/python bench/charts.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.charts import render


def wmodel(n: int, label: str) -> dict[str, Any]:
    dims = ["economic", "social", "psychosocial", None]
    return {"title": label, "x_label": label, "y_label": label,
            "legend": {"economic": label, "social": label, "psychosocial": label, "none": "-"},
            "points": [{"m": i * 0.7, "kind": "up" if i % 3 else "down", "strength": 1 + i % 5,
                        "dimension": dims[i % 4], "label": f"{label} {i}"} for i in range(n)]}


def cases() -> dict[str, dict[str, Any]]:
    found = {}
    for n in (5, 20, 60):
        found[f"W model, {n} points, English"] = wmodel(n, "found a small job")
        found[f"W model, {n} points, Arabic"] = wmodel(n, "وجدت عملاً صغيراً")
    found["programme overlay, 100 x 6 points"] = {"title": "SN", "people": [
        {"label": f"R-{p}", "points": wmodel(6, "x")["points"]} for p in range(100)]}
    found["survey, 4 rounds"] = {"chart": "survey", "title": "scores", "note": "weights v1",
                                 "series": [{"date": f"2026-0{m}-01", "economic": 0.1 * m,
                                             "social": 0.5, "psychosocial": 0.9 - 0.1 * m}
                                            for m in range(1, 5)]}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    render(wmodel(3, "warm up"))  # fonts registered, caches filled
    print(f"chart drawing, median of {args.runs} runs")
    print(f"{'chart':<38}{'ms':>8}{'PNG kB':>10}")
    for name, payload in cases().items():
        times, size = [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            size = len(render(payload))
            times.append(time.perf_counter() - started)
        print(f"{name:<38}{statistics.median(times) * 1000:>8.0f}{size / 1024:>10.0f}")


if __name__ == "__main__":
    main()
