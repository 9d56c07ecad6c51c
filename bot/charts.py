"""Charts drawn headless (matplotlib, Agg) from an outbox payload, at send time, so that no
drawing ever happens inside a database transaction."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt


def wmodel_png(payload: dict[str, Any]) -> bytes:
    """The W model: months since return across, ups above and downs below the line.

    Points are ``{"m": months, "kind": "up"|"down", "strength": 1-5, "label": text}``.
    """
    points = sorted(payload.get("points", []), key=lambda p: p.get("m") or 0)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        xs = [p.get("m") or 0 for p in points]
        ys = [(1 if p.get("kind") == "up" else -1) * (p.get("strength") or 3) for p in points]
        ax.axhline(0, color="#888888", linewidth=1)
        if points:
            ax.plot([0, *xs], [0, *ys], color="#3b6ea5", linewidth=2, marker="o")
            for x, y, point in zip(xs, ys, points, strict=True):
                ax.annotate(str(point.get("label", ""))[:40], (x, y),
                            textcoords="offset points", xytext=(0, 8 if y >= 0 else -14),
                            ha="center", fontsize=8)
        ax.set_xlabel(str(payload.get("x_label", "months since return")))
        ax.set_ylabel(str(payload.get("y_label", "ups and downs")))
        ax.set_ylim(-6, 6)
        ax.set_xlim(left=0)
        ax.set_title(str(payload.get("title", "")))
        buffer = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
