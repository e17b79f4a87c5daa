"""Embedder choice by evidence: each model's retrieval (recall@k, MRR) and answers on the seed
set and on a fixed slice of RealTimeQA, beside its encode speed on the same passages.

    python eval/embedders.py [--questions 60] [--distractors 240] [--models all-MiniLM-L6-v2 multilingual-e5-small]

The slice: the first N RealTimeQA questions whose sources are in the corpus, their source
articles, and a fixed random sample of other articles as distractors (seed 7). A slice because
e5-small encodes about 6 passages/s here: the full corpus would take two hours. Each model
keeps its own store and cache entries (under the data folder), so a rerun embeds nothing.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RTQA = ROOT.parent / "shared" / "eval" / "realtimeqa-2024q1"


def make_slice(out: Path, n_questions: int, n_distractors: int) -> tuple[Path, Path]:
    records = {}
    for line in (RTQA / "corpus.jsonl").open(encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            records[r["id"]] = line
    questions = [json.loads(l) for l in (RTQA / "questions.jsonl").open(encoding="utf-8") if l.strip()]
    chosen = [q for q in questions if q.get("sources") and all(s in records for s in q["sources"])][:n_questions]
    needed = sorted({s for q in chosen for s in q["sources"]})
    others = sorted(set(records) - set(needed))
    needed += random.Random(7).sample(others, min(n_distractors, len(others)))
    out.mkdir(parents=True, exist_ok=True)
    corpus, qfile = out / "slice-corpus.jsonl", out / "slice-questions.jsonl"
    corpus.write_text("".join(records[i] for i in sorted(needed)), encoding="utf-8")
    qfile.write_text("".join(json.dumps(q) + "\n" for q in chosen), encoding="utf-8")
    return corpus, qfile


def encode_speed(model: str, texts: list[str]) -> float:
    from qa.ingest.embeddings import Embedder

    e = Embedder(model)
    e.encode(texts[:8])
    t0 = time.perf_counter()
    e.encode(texts)
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=60, help="RealTimeQA questions in the slice")
    ap.add_argument("--distractors", type=int, default=240, help="other articles in the slice")
    ap.add_argument("--models", nargs="+", default=["all-MiniLM-L6-v2", "multilingual-e5-small"])
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "embedders")
    args = ap.parse_args()

    from eval import runner as evaluation
    from qa.settings import Settings

    if not (RTQA / "corpus.jsonl").exists():
        sys.exit(f"embedders: {RTQA} is missing (the shared RealTimeQA set)")
    corpus, questions = make_slice(args.out, args.questions, args.distractors)
    sets = {"seeds": (ROOT / "seeds", ROOT / "eval" / "seed_questions.jsonl"), "RealTimeQA slice": (corpus, questions)}
    rows = []
    for model in args.models:
        settings = Settings(embedding_model=model)
        for name, (c, q) in sets.items():
            t0 = time.perf_counter()
            r = evaluation.evaluate(settings, c, q, progress=sys.stderr.isatty())
            o = r["overall"]
            rows.append((model, name, r["corpus"]["passages"], o["retrieval_recall_at_k"], o["mrr"],
                         o["exact_match"], o["citation_accuracy"], time.perf_counter() - t0))
            print(f"{model} on {name}: recall@k {o['retrieval_recall_at_k']} MRR {o['mrr']} EM {o['exact_match']} "
                  f"citation {o['citation_accuracy']} ({r['corpus']['passages']} passages)", flush=True)
    texts = [json.loads(l)["text"][:800] for l in corpus.open(encoding="utf-8")][:200]
    speed = {m: encode_speed(m, texts) for m in args.models}
    lines = ["| model | set | passages | recall@k | MRR | EM | citation acc. | encode passages/s |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {m} | {s} | {n} | {rec} | {mrr} | {em} | {cit} | {speed[m]:.1f} |"
              for m, s, n, rec, mrr, em, cit, _ in rows]
    table = "\n".join(lines)
    (args.out / "embedders.md").write_text(table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
