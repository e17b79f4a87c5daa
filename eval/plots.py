"""PNG plots for an eval report (matplotlib, no display): exact match by question type, the
recall@k curve and the latency histogram, one series per pipeline."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(results: dict[str, dict], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    names = list(results)
    paths = []

    types = sorted({t for n in names for t in results[n]["by_type"]})
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(types) * len(names)), 3.6))
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        ys = [results[n]["by_type"].get(t, {}).get("exact_match") or 0 for t in types]
        ax.bar([x + i * width for x in range(len(types))], ys, width, label=n)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(types))], types, rotation=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel("exact match")
    ax.set_title("Exact match by question type")
    ax.legend()
    paths.append(_save(fig, out / "by_type.png"))

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for n in names:
        curve = results[n].get("recall_curve") or []
        if curve:
            ax.plot(range(1, len(curve) + 1), curve, marker="o", label=n)
    ax.set_xlabel("k (articles retrieved)")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1)
    ax.set_title("Retrieval recall@k")
    ax.legend()
    paths.append(_save(fig, out / "recall_at_k.png"))

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for n in names:
        totals = [o["timings_ms"].get("total", 0.0) for o in results[n]["outcomes"]]
        ax.hist(totals, bins=30, alpha=0.6, label=n)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    ax.legend()
    paths.append(_save(fig, out / "latency.png"))
    return paths
