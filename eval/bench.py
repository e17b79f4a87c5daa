"""Benchmarks that print figures (not timed tests): ingest throughput, /ask latency, cold start.

    python eval/bench.py [--ingest-articles 150] [--repeat 3] [--clients 8] [--max-requests 200]

Ingest: the first N articles of the RealTimeQA corpus (the seeds where ../shared is absent)
into an empty data folder with an empty embedding cache, so every passage is embedded; the
spaCy pipeline and the model are loaded and warmed first, as a running server has them. Beside
it, the ceiling: the raw `encode` throughput of the same model on exactly the texts the ingest
embedded, and the ingest time split into encoding and everything else.

/ask: warm, in-process (serially), then over loopback HTTP to a real server, serially and from
N concurrent clients (a bounded number of requests): on the seed questions, and on the
RealTimeQA questions (each as of its date) over the store `make eval-realtimeqa` built.
Cold start: `byline serve` to a ready /readyz, with the seed index already built.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RTQA = ROOT.parent / "shared" / "eval" / "realtimeqa-2024q1"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=RTQA / "corpus.jsonl",
                    help="articles for the ingest sample and the /ask corpus run")
    ap.add_argument("--questions", type=Path, default=RTQA / "questions.jsonl")
    ap.add_argument("--ingest-articles", type=int, default=150, help="articles in the ingest sample")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the seed questions")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients over loopback")
    ap.add_argument("--max-requests", type=int, default=200, help="requests per /ask run on the corpus")
    ap.add_argument("--parts", nargs="+", choices=["ingest", "ask", "cold"], default=["ingest", "ask", "cold"],
                    help="which benchmarks to run")
    args = ap.parse_args()

    from qa.archive import Archive
    from eval.runner import corpus_archive, load_corpus, load_questions
    from qa.settings import Settings

    corpus = args.corpus if args.corpus.exists() else None
    with tempfile.TemporaryDirectory() as tmp:
        if "ingest" in args.parts:
            sample = list(islice(load_corpus(corpus or ROOT / "seeds"), args.ingest_articles))
            bench_ingest(Settings(data_dir=Path(tmp) / "ingest", seeds_dir=Path(tmp) / "none"), sample,
                         "RealTimeQA" if corpus else "seed")
        if not {"ask", "cold"} & set(args.parts):
            return

        settings = Settings(data_dir=Path(tmp) / "data", seeds_dir=ROOT / "seeds")
        archive = Archive(settings)
        archive.ensure_seeded(progress=False)
        seeds = load_questions(ROOT / "eval" / "seed_questions.jsonl")
        if "ask" in args.parts:
            bench_ask("seeds", settings, archive, [_body(q) for _ in range(args.repeat) for q in seeds], args.clients)
        archive.close()

        if "ask" in args.parts and corpus and args.questions.exists():
            real = Settings()  # the eval store lives in the real data folder
            rtqa = corpus_archive(real, corpus)
            if rtqa.store.count_passages() == 0:
                print("/ask on RealTimeQA: skipped, its store is not built (run `make eval-realtimeqa` once)")
            else:
                items = load_questions(args.questions)[: args.max_requests]
                print(f"RealTimeQA store: {rtqa.store.count_articles()} articles, "
                      f"{rtqa.store.count_passages()} passages")
                bench_ask("RealTimeQA", real, rtqa, [_body(q) for q in items], args.clients)
            rtqa.close()

        if "cold" in args.parts:
            bench_cold_start(settings)


def bench_ingest(settings, drafts, label: str) -> None:
    from qa.text import nlp
    from qa.archive import Archive

    archive = Archive(settings)
    nlp.ingest()("Warm up. Load the pipeline.")
    embedder = archive.embedder
    embedder.encode(["warm up"] * 8)
    embedded: list[str] = []
    encode_s = 0.0
    encode = embedder.encode

    def recording(texts, query=False):  # what the ingest embeds, and how long encoding takes
        nonlocal encode_s
        embedded.extend(texts)
        t = time.perf_counter()
        out = encode(texts, query)
        encode_s += time.perf_counter() - t
        return out

    embedder.encode = recording
    t0 = time.perf_counter()
    report = archive.ingest_drafts(drafts, progress=False)
    ingest_s = time.perf_counter() - t0
    embedder.encode = encode
    t0 = time.perf_counter()
    encode(embedded)
    ceiling_s = time.perf_counter() - t0
    n = report.passages
    print(f"ingest ({label} sample): {len(report.added)} articles, {n} passages in {ingest_s:.1f} s = "
          f"{n / ingest_s:.1f} passages/s (encoding {encode_s:.1f} s, everything else {ingest_s - encode_s:.1f} s)")
    print(f"encode ceiling: the same {len(embedded)} texts in {ceiling_s:.1f} s = {len(embedded) / ceiling_s:.1f} "
          f"passages/s; ingest/ceiling = {(n / ingest_s) / (len(embedded) / ceiling_s):.2f}")
    archive.close()


def bench_ask(label: str, settings, archive, bodies: list[dict], clients: int) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from eval.serving import serve

    with TestClient(create_app(settings, archive)) as client:
        client.post("/ask", json=bodies[0])
        lat = [_timed(client, b) for b in bodies]
    print(f"/ask {label}, in-process, warm, serial, {len(lat)} requests: {_summary(lat)}")

    with serve(create_app(settings, archive)) as base:
        with httpx.Client(base_url=base, timeout=60) as c:
            c.post("/ask", json=bodies[0])
            lat = [_timed(c, b) for b in bodies]
        print(f"/ask {label}, loopback, serial, {len(lat)} requests: {_summary(lat)}")

        def worker(chunk):
            with httpx.Client(base_url=base, timeout=120) as c:
                return [_timed(c, b) for b in chunk]

        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            parts = list(pool.map(worker, [bodies[i::clients] for i in range(clients)]))
        wall = time.perf_counter() - t0
        lat = [x for p in parts for x in p]
        print(f"/ask {label}, loopback, {clients} concurrent clients, {len(lat)} requests in {wall:.1f} s "
              f"({len(lat) / wall:.1f} req/s): {_summary(lat)}")


def bench_cold_start(settings) -> None:
    from eval.serving import free_port, wait_ready

    # A new process, the index already built in this data folder.
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


def _body(item) -> dict:
    return {"question": item.question, "history": [t.model_dump() for t in item.history],
            **({"as_of": item.as_of.isoformat()} if item.as_of else {})}


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


if __name__ == "__main__":
    main()
