"""Benchmarks that print figures (not timed tests): ingest throughput, /ask latency, cold start.

    python eval/bench.py [--repeat 3] [--clients 8]

Ingest: the seeds into an empty data folder with an empty embedding cache (every passage
embedded), beside the raw `encode` throughput of the same model on the same passages
(the ceiling). /ask: every seed question, warm, through the app in-process (serially), then
over loopback HTTP to a real server, serially and from N concurrent clients (a bounded number
of requests). Cold start: `byline serve` to a ready /readyz, with the index already built.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="passes over the seed questions")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients over loopback")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from api.app import create_app
    from eval.serving import free_port, serve, wait_ready
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
        bodies = [{"question": q["question"], "history": q.get("history", []),
                   **({"as_of": q["as_of"]} if q.get("as_of") else {})}
                  for _ in range(args.repeat) for q in questions]
        with TestClient(create_app(settings, archive)) as client:
            client.post("/ask", json={"question": "warm up"})
            lat = [_timed(client, b) for b in bodies]
        print(f"/ask in-process, warm, serial, {len(lat)} requests: {_summary(lat)}")

        with serve(create_app(settings, archive)) as base:
            with httpx.Client(base_url=base, timeout=60) as c:
                c.post("/ask", json={"question": "warm up"})
                lat = [_timed(c, b) for b in bodies]
            print(f"/ask over loopback, serial, {len(lat)} requests: {_summary(lat)}")

            def worker(chunk):
                with httpx.Client(base_url=base, timeout=120) as c:
                    return [_timed(c, b) for b in chunk]

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                parts = list(pool.map(worker, [bodies[i::args.clients] for i in range(args.clients)]))
            wall = time.perf_counter() - t0
            lat = [x for p in parts for x in p]
            print(f"/ask over loopback, {args.clients} concurrent clients, {len(lat)} requests in {wall:.1f} s "
                  f"({len(lat) / wall:.1f} req/s): {_summary(lat)}")
        archive.close()

        # Cold start: a new process, the index already built in this data folder.
        port = free_port()
        env = {**os.environ, "BYLINE_DATA_DIR": str(settings.data_dir), "BYLINE_SEEDS_DIR": str(settings.seeds_dir)}
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(f"http://127.0.0.1:{port}", timeout=120)
            print(f"cold start (byline serve → /readyz ready, index built): {time.perf_counter() - t0:.1f} s")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _timed(client, body: dict) -> float:
    t0 = time.perf_counter()
    r = client.post("/ask", json=body)
    ms = (time.perf_counter() - t0) * 1000
    assert r.status_code == 200, r.text
    return ms


def _summary(lat: list[float]) -> str:
    lat = sorted(lat)
    p95 = lat[min(len(lat) - 1, int(0.95 * (len(lat) - 1)))]
    return f"p50 {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms"


def _ids(archive, doc_id):
    rows = archive.store._db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))  # bench only
    return [r[0] for r in rows]


if __name__ == "__main__":
    main()
