"""FAISS index types at scale: build time, size, memory, search latency and recall@10 against
exact search, on synthetic passage vectors. Prints a table; writes nothing but an optional JSON.

The vectors: real MiniLM passage embeddings from the embedding cache, when there are enough to
act as topic centres, else random ones; each synthetic vector is a centre plus Gaussian noise,
normalised, so neighbourhoods look like a news corpus (clusters of near-duplicates), not like
uniform noise, which flatters no index and matches no corpus. Queries are other perturbations
of the same centres. `--noise` sets how far a vector strays from its centre: at 0.35 (the
default) neighbours share a centre with cosine ~0.9, like near-duplicate wire copy; at 1.0 they
sit at cosine ~0.5 and clusters overlap, which is harder on every approximate index.

    python eval/scale.py --sizes 100000 1000000 [--types flat hnsw ivf ivfpq] [--noise 0.35]
                         [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import time
from pathlib import Path

import faiss
import numpy as np

DIM = 384


def centres(cache: Path, n: int, rng: np.random.Generator) -> np.ndarray:
    if cache.exists():
        db = sqlite3.connect(cache)
        rows = db.execute("SELECT vector FROM embeddings LIMIT ?", (n,)).fetchall()
        db.close()
        vecs = [np.frombuffer(r[0], dtype=np.float32) for r in rows]
        vecs = [v for v in vecs if v.shape[0] == DIM]
        if len(vecs) >= 1000:
            return np.stack(vecs)
    c = rng.standard_normal((n, DIM)).astype(np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def synthetic(c: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.35) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for a in range(0, n, step):
        b = min(n, a + step)
        x = c[rng.integers(0, len(c), b - a)] + rng.standard_normal((b - a, DIM)).astype(np.float32) * (noise / np.sqrt(DIM))
        out[a:b] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def make(kind: str, n: int) -> tuple[faiss.Index, dict]:
    nlist = int(4 * np.sqrt(n))
    if kind == "flat":
        return faiss.IndexFlatIP(DIM), {}
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        return index, {"efSearch": 64}
    if kind == "ivf":
        return faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT), {"nprobe": 16}
    if kind == "ivfpq":
        # 48 sub-quantisers of 8 bits: 48 bytes a vector; the top candidates are re-ranked exactly.
        ivfpq = faiss.IndexIVFPQ(faiss.IndexFlatIP(DIM), DIM, nlist, 48, 8, faiss.METRIC_INNER_PRODUCT)
        return faiss.IndexRefineFlat(ivfpq), {"nprobe": 32, "k_factor": 4}
    raise ValueError(kind)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(kind: str, base: np.ndarray, queries: np.ndarray, truth: np.ndarray, k: int = 10) -> dict:
    before = rss_mb()
    t0 = time.perf_counter()
    index, params = make(kind, len(base))
    if not index.is_trained:
        sample = base[np.random.default_rng(1).choice(len(base), min(len(base), 100_000), replace=False)]
        index.train(sample)
    index.add(base)
    build = time.perf_counter() - t0
    if "efSearch" in params:
        index.hnsw.efSearch = params["efSearch"]
    if "nprobe" in params:
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = params["nprobe"]
    if "k_factor" in params:
        index.k_factor = params["k_factor"]
    size = len(faiss.serialize_index(index)) / 1e6
    lat = []
    found = np.empty((len(queries), k), dtype=np.int64)
    for i, q in enumerate(queries):  # one query at a time, as /ask does
        t = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        lat.append((time.perf_counter() - t) * 1000)
        found[i] = ids[0]
    recall = float(np.mean([len(set(found[i]) & set(truth[i])) / k for i in range(len(queries))]))
    lat.sort()
    return {"type": kind, "n": len(base), "build_s": round(build, 1), "size_mb": round(size, 1),
            "rss_growth_mb": round(rss_mb() - before, 1), "p50_ms": round(statistics.median(lat), 3),
            "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 3), "recall_at_10": round(recall, 4), **params}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--types", nargs="+", default=["flat", "hnsw", "ivf", "ivfpq"])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--noise", type=float, default=0.35, help="distance from a centre (see above)")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("BYLINE_DATA_DIR", "data")) / "embeddings.sqlite")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(0)
    c = centres(args.cache, 30_000, rng)
    print(f"{len(c)} centres ({'real passage embeddings' if args.cache.exists() else 'random'}), "
          f"noise {args.noise}, {os.cpu_count()} cores, faiss {faiss.__version__}")
    rows = []
    for n in args.sizes:
        base = synthetic(c, n, rng, args.noise)
        queries = synthetic(c, args.queries, rng, args.noise)
        exact = faiss.IndexFlatIP(DIM)
        exact.add(base)
        _, truth = exact.search(queries, 10)
        del exact
        for kind in args.types:
            r = run(kind, base, queries, truth)
            rows.append(r)
            print(f"{n:>9,} {kind:<6} build {r['build_s']:>7.1f} s  size {r['size_mb']:>8.1f} MB  "
                  f"mem +{r['rss_growth_mb']:>7.1f} MB  search p50 {r['p50_ms']:>8.3f} ms  p95 {r['p95_ms']:>8.3f} ms  "
                  f"recall@10 {r['recall_at_10']:.4f}", flush=True)
        del base
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
