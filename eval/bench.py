"""Benchmarks that print figures (not timed tests): ingest throughput, /ask latency, cold start.

    python eval/bench.py [--ingest-articles 150] [--repeat 3] [--clients 8] [--max-requests 200]
                         [--load-clients 16] [--load-seconds 60] [--parts ingest ask load cold]

Ingest: the first N articles of the RealTimeQA corpus (the seeds where ../shared is absent)
into an empty data folder with an empty embedding cache, so every passage is embedded; the
spaCy pipeline and the model are loaded and warmed first, as a running server has them. Beside
it, the ceiling: the raw `encode` throughput of the same model on exactly the texts the ingest
embedded, and the ingest time split into encoding and everything else.

/ask: warm, in-process (serially), then over loopback HTTP to a real server, serially and from
N concurrent clients (a bounded number of requests): on the seed questions, and on the
RealTimeQA questions (each as of its date) over the store `make eval-realtimeqa` built.
Load: `byline serve` in a process of its own, LOAD_CLIENTS concurrent askers for LOAD_SECONDS
each over loopback, on the seed questions and (when built) on the RealTimeQA store: requests/s,
p50/p95, errors, and the server's resident memory before (warm) and after, so growth shows.
Cold start: `byline serve` to a ready /readyz, with the seed index already built.
Precision: the passages of the source articles of the RealTimeQA 2024 Q1 questions whose answer is
in the corpus, encoded by sentence-transformers fp32 (the ceiling), ONNX fp32, ONNX int8 and
PyTorch bf16: passages/s of each on the same texts (the first --speed-texts of them, so the slow
ones finish), its ratio to the ceiling, its mean and least cosine to fp32, and dense retrieval over
an index of each precision: recall@5 (a source article among the top 5 passages) and MRR@10, the
question encoded in fp32 as /ask encodes it. ONNX fp32's vectors are sentence-transformers' to
1e-5 (checked at load), so its retrieval is fp32's.
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
from datetime import date
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
    ap.add_argument("--load-clients", type=int, default=16, help="concurrent askers in the load run")
    ap.add_argument("--load-seconds", type=float, default=60, help="how long each load run lasts")
    ap.add_argument("--parts", nargs="+", choices=["precision", "ingest", "ask", "workers", "load", "cold"],
                    default=["precision", "ingest", "ask", "workers", "load", "cold"], help="which benchmarks to run")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1],
                    help="`byline serve --workers N` for each N, side by side")
    ap.add_argument("--precisions", nargs="+", choices=["fp32", "bf16", "int8"], default=["fp32", "bf16"],
                    help="passage precisions the ingest benchmark runs, side by side")
    ap.add_argument("--speed-texts", type=int, default=1500, help="passages each encoder is timed on")
    args = ap.parse_args()

    from qa.archive import Archive
    from eval.runner import corpus_archive, load_corpus, load_questions
    from qa.settings import Settings

    corpus = args.corpus if args.corpus.exists() else None
    with tempfile.TemporaryDirectory() as tmp:
        if "precision" in args.parts and corpus and args.questions.exists():
            bench_precision(corpus, args.questions, args.speed_texts, Path(tmp) / "onnx")
        if "ingest" in args.parts:
            sample = list(islice(load_corpus(corpus or ROOT / "seeds"), args.ingest_articles))
            for precision in args.precisions:
                bench_ingest(Settings(data_dir=Path(tmp) / f"ingest-{precision}", seeds_dir=Path(tmp) / "none",
                                      embedding_precision=precision), sample, "RealTimeQA" if corpus else "seed")
        if not {"ask", "workers", "load", "cold"} & set(args.parts):
            return

        settings = Settings(data_dir=Path(tmp) / "data", seeds_dir=ROOT / "seeds")
        archive = Archive(settings)
        archive.ensure_seeded(progress=False)
        seeds = load_questions(ROOT / "eval" / "seed_questions.jsonl")
        if "ask" in args.parts:
            bench_ask("seeds", settings, archive, [_body(q) for _ in range(args.repeat) for q in seeds], args.clients)
        archive.close()

        if "workers" in args.parts:
            bench_workers("seeds", settings.data_dir, [_body(q) for _ in range(args.repeat) for q in seeds],
                          args.clients, args.workers)
        if "load" in args.parts:
            bench_load("seeds", settings.data_dir, [_body(q) for q in seeds], args.load_clients, args.load_seconds)

        if {"ask", "workers", "load"} & set(args.parts) and corpus and args.questions.exists():
            real = Settings()  # the eval store lives in the real data folder
            rtqa = corpus_archive(real, corpus)
            built = rtqa.store.count_passages() > 0
            items = load_questions(args.questions)[: args.max_requests]
            if not built:
                print("RealTimeQA: skipped, its store is not built (run `make eval-realtimeqa` once)")
            elif "ask" in args.parts:
                print(f"RealTimeQA store: {rtqa.store.count_articles()} articles, "
                      f"{rtqa.store.count_passages()} passages")
                bench_ask("RealTimeQA", real, rtqa, [_body(q) for q in items], args.clients)
            store_folder = getattr(rtqa.store, "folder", None)
            rtqa.close()
            if built and {"workers", "load"} & set(args.parts) and store_folder is not None:
                # A data folder whose index is the eval store, for a server process of its own.
                served = Path(tmp) / "rtqa-served"
                served.mkdir()
                (served / "index").symlink_to(Path(store_folder).resolve())
                cache = Path(real.data_dir) / "embeddings.sqlite"
                if cache.exists():
                    (served / "embeddings.sqlite").symlink_to(cache.resolve())
                if "workers" in args.parts:
                    bench_workers("RealTimeQA", served, [_body(q) for q in items], args.clients, args.workers)
                if "load" in args.parts:
                    bench_load("RealTimeQA", served, [_body(q) for q in items], args.load_clients, args.load_seconds)

        if "cold" in args.parts:
            bench_cold_start(settings)


def bench_ingest(settings, drafts, label: str) -> None:
    from qa.text import nlp
    from qa.archive import Archive

    archive = Archive(settings)
    nlp.ingest()("Warm up. Load the pipeline.")
    embedder = archive.embedder
    embedder.encode_passages(["warm up"] * 8)
    embedded: list[str] = []
    encode_s = 0.0
    encode = embedder.encode_passages

    def recording(texts):  # what the ingest embeds, and how long encoding takes
        nonlocal encode_s
        embedded.extend(texts)
        t = time.perf_counter()
        out = encode(texts)
        encode_s += time.perf_counter() - t
        return out

    embedder.encode_passages = recording
    t0 = time.perf_counter()
    report = archive.ingest_drafts(drafts, progress=False)
    ingest_s = time.perf_counter() - t0
    embedder.encode_passages = encode
    # The ceiling: fp32 sentence-transformers alone on the same texts, in the batches ingest used to.
    t0 = time.perf_counter()
    embedder.model.encode(embedded, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    ceiling_s = time.perf_counter() - t0
    n = report.passages
    print(f"ingest ({label} sample, {embedder.precision}): {len(report.added)} articles, {n} passages in {ingest_s:.1f} s = "
          f"{n / ingest_s:.1f} passages/s (encoding {encode_s:.1f} s, everything else {ingest_s - encode_s:.1f} s)")
    print(f"encode ceiling (fp32 sentence-transformers): the same {len(embedded)} texts in {ceiling_s:.1f} s = {len(embedded) / ceiling_s:.1f} "
          f"passages/s; ingest/ceiling = {(n / ingest_s) / (len(embedded) / ceiling_s):.2f}")
    archive.close()


def bench_precision(corpus: Path, questions: Path, speed_texts: int, onnx_dir: Path) -> None:
    import numpy as np
    import faiss

    from eval.runner import load_corpus, load_questions
    from qa.ingest.embeddings import Embedder
    from qa.ingest.pipeline import embedding_text
    from qa.ingest.preparing import prepare_batch

    items = [q for q in load_questions(questions) if q.sources]
    wanted = {s for q in items for s in q.sources}
    drafts = [d for d in load_corpus(corpus) if d.id in wanted]
    items = [q for q in items if set(q.sources) <= {d.id for d in drafts}]
    ready, _ = prepare_batch([(d, "") for d in drafts], date.today(), 800, 1)
    texts, owners = [], []
    for prepared, _ in ready:
        for passage in prepared.passages:
            texts.append(embedding_text(prepared.article, passage))
            owners.append(prepared.article.id)
    print(f"precision: {len(items)} RealTimeQA questions, their {len(drafts)} source articles, {len(texts)} passages; "
          f"speed on the first {min(speed_texts, len(texts))}")
    fp32 = Embedder(onnx_dir=onnx_dir)  # the question encoder of every row: fp32, as /ask
    encoders = {"sentence-transformers fp32": lambda t: fp32.model.encode(
        t, batch_size=32, normalize_embeddings=True, show_progress_bar=False)}
    encoders["ONNX fp32"] = lambda t: fp32.short_batch_encoder.encode_sorted(t, 8)
    for precision in ("int8", "bf16"):
        e = Embedder(onnx_dir=onnx_dir, precision=precision)
        encoders[f"{'ONNX' if precision == 'int8' else 'PyTorch'} {precision}"] = e.encode_passages
    queries = np.stack([fp32.embed_query_vector(q.question) for q in items])
    timed = texts[:speed_texts]
    rows, reference, ceiling = [], None, None
    for label, encode in encoders.items():
        encode(timed[:8])
        t0 = time.perf_counter()
        head = encode(timed)
        rate = len(timed) / (time.perf_counter() - t0)
        ceiling = ceiling or rate
        if label == "ONNX fp32":
            vectors = reference  # the same vectors to 1e-5: not encoded again
        else:
            vectors = np.concatenate([head, encode(texts[len(timed):])]) if len(texts) > len(timed) else head
        reference = reference if reference is not None else vectors
        cosine = (vectors * reference).sum(axis=1)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        _, found = index.search(queries, 10)
        recall = rr = 0.0
        for q, row in zip(items, found):
            docs = [owners[i] for i in row]
            recall += any(d in q.sources for d in docs[:5])
            rr += next((1 / (r + 1) for r, d in enumerate(docs) if d in q.sources), 0.0)
        rows.append(f"| {label} | {rate:.1f} | {rate / ceiling:.2f} | {cosine.mean():.5f} / {cosine.min():.4f} | "
                    f"{recall / len(items):.3f} | {rr / len(items):.3f} |")
        print(rows[-1], flush=True)
    print("| encoder | passages/s | x fp32 ceiling | cosine to fp32, mean / least | recall@5 | MRR@10 |\n"
          "|---|---|---|---|---|---|\n" + "\n".join(rows))


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

        lat, wall = _concurrent(base, bodies, clients)
        print(f"/ask {label}, loopback, {clients} concurrent clients, {len(lat)} requests in {wall:.1f} s "
              f"({len(lat) / wall:.1f} req/s): {_summary(lat)}")


def server_rss_mb(pid: int) -> float:
    """Resident memory of a server: its process and its workers (every descendant), from /proc
    (Linux). Pages the workers share (the model files, the index) count once per worker."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _start_server(data_dir: Path, workers: int | None = None) -> tuple[subprocess.Popen, str]:
    from eval.serving import free_port

    port = free_port()
    env = {**os.environ, "BYLINE_DATA_DIR": str(data_dir), "BYLINE_SEEDS_DIR": str(ROOT / "seeds")}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                             *(["--workers", str(workers)] if workers else [])], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def bench_workers(label: str, data_dir: Path, bodies: list[dict], clients: int, counts: list[int]) -> None:
    """`byline serve --workers N` in a process of its own for each N: the same requests serially,
    then from `clients` concurrent clients, and the resident memory of all its processes."""
    from eval.serving import wait_ready

    for n in counts:
        proc, base = _start_server(data_dir, n)
        try:
            wait_ready(base, timeout=600)
            with httpx.Client(base_url=base, timeout=120) as c:
                for b in bodies[: max(4, 2 * n)]:  # every worker warm (each loads its spaCy parsers lazily)
                    c.post("/ask", json=b)
                t0 = time.perf_counter()
                lat = [_timed(c, b) for b in bodies]
                serial = len(lat) / (time.perf_counter() - t0)
            print(f"/ask {label}, --workers {n}, serial, {len(lat)} requests ({serial:.1f} req/s): {_summary(lat)}")

            lat, wall = _concurrent(base, bodies, clients)
            print(f"/ask {label}, --workers {n}, {clients} concurrent clients, {len(lat)} requests "
                  f"({len(lat) / wall:.1f} req/s, {len(lat) / wall / serial:.2f}x serial): {_summary(lat)}; "
                  f"RSS of all processes {server_rss_mb(proc.pid):.0f} MB", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def bench_load(label: str, data_dir: Path, bodies: list[dict], clients: int, seconds: float) -> None:
    """`byline serve` in its own process over `data_dir`; `clients` askers for `seconds`, after a
    warm-up at the same concurrency (so the server's threads and connections exist before the
    memory is first read: what grows after is growth)."""
    from eval.serving import wait_ready

    proc, base = _start_server(data_dir)  # its default workers: one per core

    def run(for_seconds: float) -> tuple[list[float], int, float]:
        deadline = time.monotonic() + for_seconds

        def worker(offset: int) -> tuple[list[float], int]:
            lat, errors, i = [], 0, offset
            with httpx.Client(base_url=base, timeout=120) as c:
                while time.monotonic() < deadline:
                    body = bodies[i % len(bodies)]
                    i += clients
                    t0 = time.perf_counter()
                    try:
                        ok = c.post("/ask", json=body).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    lat.append((time.perf_counter() - t0) * 1000)
                    errors += not ok
            return lat, errors

        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            parts = list(pool.map(worker, range(clients)))
        return [x for p, _ in parts for x in p], sum(e for _, e in parts), time.perf_counter() - t0

    try:
        wait_ready(base, timeout=600)
        run(min(15.0, seconds / 4))  # warm-up
        before = server_rss_mb(proc.pid)
        lat, errors, wall = run(seconds)
        after = server_rss_mb(proc.pid)
        print(f"load {label}: {clients} concurrent askers x {seconds:.0f} s, {len(lat)} requests "
              f"({len(lat) / wall:.1f} req/s), {errors} errors: {_summary(lat)}; server RSS "
              f"{before:.0f} MB warm -> {after:.0f} MB after ({after - before:+.0f} MB)")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def bench_cold_start(settings) -> None:
    from eval.serving import free_port, wait_ready

    # A new process, the index already built in this data folder.
    port = free_port()
    env = {**os.environ, "BYLINE_DATA_DIR": str(settings.data_dir), "BYLINE_SEEDS_DIR": str(settings.seeds_dir)}
    for workers in (1, os.cpu_count() or 1):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers",
                                 str(workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        try:
            wait_ready(f"http://127.0.0.1:{port}", timeout=120)
            took = time.perf_counter() - t0
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=60)
        # The server's own split of its start (api/app.py logs it when ready); the rest is Python
        # starting and importing.
        split = [json.loads(line).get("start_seconds") for line in err.splitlines()
                 if line.startswith("{") and '"start_seconds"' in line]
        steps = split[0] if split else {}
        detail = ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
        print(f"cold start (byline serve --workers {workers} → /readyz ready, index built): {took:.1f} s"
              f" = imports and interpreter {took - sum(steps.values()):.1f} s + {detail or 'no split logged'}")


def _concurrent(base: str, bodies: list[dict], clients: int) -> tuple[list[float], float]:
    """The bodies asked from `clients` concurrent clients, each its share in turn: latencies, wall time."""
    def worker(chunk):
        with httpx.Client(base_url=base, timeout=120) as c:
            return [_timed(c, b) for b in chunk]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        parts = list(pool.map(worker, [bodies[i::clients] for i in range(clients)]))
    return [x for p in parts for x in p], time.perf_counter() - t0


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
