"""Benchmarks that print figures (not timed tests): ingest throughput and /ask latency.

    python eval/bench.py [--repeat 3]

Ingest: the seeds into an empty data folder with an empty embedding cache (every passage
embedded), beside the raw `encode` throughput of the same model on the same passages
(the ceiling). /ask: every seed question through the HTTP app in-process, warm, serially.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="passes over the seed questions")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from api.app import create_app
    from qa.archive import Archive
    from qa.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", seeds_dir=ROOT / "seeds")
        archive = Archive(settings)
        t0 = time.perf_counter()
        report = archive.ensure_seeded(progress=False)
        ingest_s = time.perf_counter() - t0
        texts = [p.text for a in archive.store.list_articles(0, 1000)
                 for p in archive.store.get_passages(_ids(archive, a.doc_id))]
        archive.embedder.encode(texts[:8])  # warm
        t0 = time.perf_counter()
        archive.embedder.encode(texts)
        encode_s = time.perf_counter() - t0
        n = report.passages
        print(f"ingest: {len(report.added)} articles, {n} passages in {ingest_s:.2f} s = "
              f"{n / ingest_s:.1f} passages/s")
        print(f"encode ceiling: {len(texts)} passages in {encode_s:.2f} s = {len(texts) / encode_s:.1f} passages/s; "
              f"ingest/ceiling = {(n / ingest_s) / (len(texts) / encode_s):.2f}")

        questions = [json.loads(line) for line in (ROOT / "eval" / "seed_questions.jsonl").open()]
        with TestClient(create_app(settings, archive)) as client:
            client.post("/ask", json={"question": "warm up"})
            lat = []
            for _ in range(args.repeat):
                for q in questions:
                    body = {"question": q["question"], "history": q.get("history", [])}
                    if q.get("as_of"):
                        body["as_of"] = q["as_of"]
                    t0 = time.perf_counter()
                    r = client.post("/ask", json=body)
                    lat.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, r.text
        lat.sort()
        p95 = lat[min(len(lat) - 1, int(0.95 * (len(lat) - 1)))]
        print(f"/ask warm, serial, {len(lat)} requests: p50 {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms")
        archive.close()


def _ids(archive, doc_id):
    rows = archive.store._db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))  # bench only
    return [r[0] for r in rows]


if __name__ == "__main__":
    main()
