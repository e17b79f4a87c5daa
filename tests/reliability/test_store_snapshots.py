"""Finding 1: readers must see committed states only. A writer replaces and deletes articles
while readers search and fetch; every read must match a state some commit left behind. (What a
snapshot promises across several reads is in the store contract, vectorstore/testing.py.)"""
import threading
import time

import numpy as np

from vectorstore import FaissStore, PassageFilter
from vectorstore.testing import DIM, article, vec

WORDS = 300  # passages per article: a write transaction long enough for a reader to fall into


def _walrus(version: int):
    # Every version has the same number of passages naming the walrus, so a committed state
    # always has WORDS of them; a half-done replace has fewer (or twice as many).
    return article("w", [f"walrus v{version} {i}" for i in range(WORDS)], seed=version)


def test_readers_never_see_a_half_done_write(tmp_path):
    store = FaissStore(tmp_path / "s", DIM)
    store.upsert(*article("keep", ["anchor passage"], seed=99))
    store.upsert(*_walrus(0))
    stop = threading.Event()
    seen: list[str] = []

    def writer():
        v = 1
        while not stop.is_set():
            store.upsert(*_walrus(v))  # a replace: delete the old passages, insert the new
            v += 1
            if v % 5 == 0:
                store.delete("w")
                store.upsert(*_walrus(v))

    def reader():
        while not stop.is_set():
            n = len(store.lexical_search(["walrus"], 10 * WORDS))
            if n not in (0, WORDS):
                seen.append(f"lexical search saw {n} walrus passages")
            passages = store.count_passages()
            if passages not in (1, WORDS + 1):
                seen.append(f"count_passages saw {passages}")
            df = store.document_frequency("walrus")
            if df not in (0, WORDS):
                seen.append(f"document_frequency saw {df}")
            hits = store.dense_search(vec(99_000), 3, PassageFilter(doc_ids=("keep",)))
            if [p.text for p in store.get_passages([h.passage_id for h in hits])] != ["anchor passage"]:
                seen.append("the article present throughout was not found")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    # Once the writes stop, the term-frequency cache must hold the committed count.
    assert store.document_frequency("walrus") in (0, WORDS)
    assert store.document_frequency("walrus") == len(store.lexical_search(["walrus"], 10 * WORDS))
    store.close()
    assert not seen, f"{len(seen)} reads saw a half-done write, e.g. {sorted(set(seen))[:5]}"

