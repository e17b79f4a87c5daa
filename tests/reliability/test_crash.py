"""Crash safety: an ingest killed with SIGKILL at random moments, and on purpose between the
SQLite commit and the FAISS file write (tests/reliability/ingest_child.py), leaves a store that
opens whole: SQLite's and FTS5's integrity checks pass, the FAISS index holds exactly the stored
passages, every operation acknowledged before the kill is there, and the one in flight is there
whole or not at all. Bounded: 4 kills; BYLINE_RELIABILITY_LONG=1: 50. Figures in
test-output/crash.json (crash-long.json)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import faiss

from tests.conftest import ROOT
from tests.reliability.conftest import LONG, bounded
from tests.reliability.fakes import HashEmbedder
from tests.reliability.ingest_child import article_text, version_of

KILLS = bounded(4, 50)


def _run_child(data_dir, seed: int, die_at: int, kill_after: float) -> tuple[list[str], str]:
    """Start an ingest, kill it (or let it kill itself), and return what it printed."""
    cmd = [sys.executable, "-m", "tests.reliability.ingest_child", str(data_dir), str(seed)]
    if die_at:
        cmd += ["--die-at-index-write", str(die_at)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("READY"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(120) or proc.poll() is not None, "the ingest did not start"
    if not die_at:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)
    reader.join(timeout=10)
    stderr = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, stderr[-2000:])
    return lines, stderr


def _apply(state: dict[str, int], kind: str, items: dict[str, int]) -> dict[str, int]:
    state = dict(state)
    for doc_id, version in items.items():
        if kind == "delete":
            state.pop(doc_id, None)
        else:
            state[doc_id] = version
    return state


def _check(data_dir, embedder: HashEmbedder) -> dict[str, int]:
    """Open the store as a restarted server would; check it whole; return {id: version} stored."""
    from vectorstore import FaissStore

    store = FaissStore(data_dir / "index", embedder.dim, space=embedder.name)
    try:
        db = store._docs._db
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not db.execute("PRAGMA foreign_key_check").fetchall()
        db.execute("INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)")
        passages = store.count_passages()
        assert store._faiss.ntotal == passages, (store._faiss.ntotal, passages)
        ids = {r[0] for r in db.execute("SELECT id FROM passages")}
        assert ids == set(faiss.vector_to_array(store._faiss.index.id_map).tolist())
        stored = {}
        for article in store.list_articles(0, 10**6):
            version = version_of(article.text)
            assert article.text == article_text(article.doc_id, version)
            assert store._docs.passage_ids(article.doc_id), article.doc_id
            stored[article.doc_id] = version
        if passages:
            hits = store.dense_search(embedder.embed_query_vector("harbour ships crane"), 5)
            assert len(store.get_passages([h.passage_id for h in hits])) == len(hits) > 0
        return stored
    finally:
        store.close()


def test_an_ingest_killed_anywhere_loses_nothing_acknowledged(tmp_path, output_dir):
    embedder = HashEmbedder()
    rng = random.Random(14)
    state: dict[str, int] = {}  # what the store holds: {id: version}
    figures = {"kills": 0, "at_index_write": 0, "random": 0, "operations_acknowledged": 0,
               "in_flight_committed": 0, "in_flight_rolled_back": 0, "index_rebuilt_on_open": 0}
    for round_ in range(KILLS):
        die_at = rng.randint(1, 6) if round_ % 2 else 0  # every other kill: between commit and file
        lines, _ = _run_child(tmp_path, round_, die_at, rng.uniform(0.3, 2.5))
        begun: dict[int, tuple[str, dict[str, int]]] = {}
        acked: set[int] = set()
        for line in lines:
            word, *rest = line.split()
            if word == "BEGIN":
                begun[int(rest[0])] = (rest[1], {d: int(v) for d, v in (i.split(":") for i in rest[2:])})
            elif word == "ACK":
                acked.add(int(rest[0]))
        before = state
        for n in sorted(acked):
            before = _apply(before, *begun[n])
        in_flight = [n for n in begun if n not in acked]
        assert len(in_flight) <= 1
        after = _apply(before, *begun[in_flight[0]]) if in_flight else before
        if die_at:
            from vectorstore.docstore import DocStore

            docs = DocStore(tmp_path / "index", embedder.dim)
            generation = docs.generation
            docs.close()
            figures["index_rebuilt_on_open"] += not (tmp_path / "index" / f"vectors-{generation}.faiss").exists()
        stored = _check(tmp_path, embedder)
        assert stored in (before, after), (
            f"kill {round_}: the store holds neither what was acknowledged nor that and the operation in flight; "
            f"missing {sorted(set(before) - set(stored))[:5]}, unexpected {sorted(set(stored) - set(after))[:5]}")
        if in_flight:
            figures["in_flight_committed" if stored == after != before else "in_flight_rolled_back"] += 1
        state = stored
        figures["kills"] += 1
        figures["at_index_write" if die_at else "random"] += 1
        figures["operations_acknowledged"] += len(acked)
    figures["articles_at_the_end"] = len(state)
    (output_dir / ("crash-long.json" if LONG else "crash.json")).write_text(json.dumps(figures, indent=1))
    assert figures["index_rebuilt_on_open"] >= 1  # the window between commit and file write was hit
    assert figures["operations_acknowledged"] >= KILLS
