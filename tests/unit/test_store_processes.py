"""One store folder opened by several processes (a server's workers, a CLI ingest): writers take
turns under a file lock, and each opener's next read follows the others' writes, whole.

Two FaissStore objects on one folder stand in for two processes: each has its own SQLite
connections, its own FAISS index in memory and its own open file for the lock (flock locks one
open file, so the two exclude each other as two processes do). One test uses a real second
process for the lock itself."""
import multiprocessing
import time

from vectorstore import FaissStore
from vectorstore.testing import DIM, article, vec


def doc_of(store, hits):
    return [p.doc_id for p in store.get_passages([h.passage_id for h in hits])]


def test_a_write_through_one_is_read_by_the_other_whole(tmp_path):
    a, b = FaissStore(tmp_path, DIM), FaissStore(tmp_path, DIM)
    assert b.count_articles() == 0
    a.upsert(*article("quake", ["tremor", "kermanshah"], seed=3))
    # b's next read: SQLite and its dense index at a's generation, together.
    assert b.count_articles() == 1 and b.count_passages() == 2
    assert doc_of(b, b.dense_search(vec(3000), 1)) == ["quake"]
    assert doc_of(b, b.lexical_search(["kermanshah"], 5)) == ["quake"]
    assert b.generation == a.generation
    assert b.delete("quake")
    assert a.count_articles() == 0 and a.dense_search(vec(3000), 1) == []
    a.close(), b.close()


def test_a_writer_follows_the_others_writes_before_its_own(tmp_path):
    a, b = FaissStore(tmp_path, DIM), FaissStore(tmp_path, DIM)
    a.upsert(*article("one", ["w1"], seed=1))
    b.upsert(*article("two", ["w2"], seed=2))  # b had never read: it catches up first
    a.upsert(*article("three", ["w3"], seed=3))
    for store in (a, b, FaissStore(tmp_path, DIM)):
        assert store.count_passages() == 3
        assert {d for s in (1, 2, 3) for d in doc_of(store, store.dense_search(vec(s * 1000), 1))} == {"one", "two", "three"}
    a.close(), b.close()


def test_a_snapshot_keeps_its_generation_while_another_process_writes(tmp_path):
    a, b = FaissStore(tmp_path, DIM), FaissStore(tmp_path, DIM)
    a.upsert(*article("old", ["w1"], seed=1))
    with b.snapshot() as view:
        a.upsert(*article("new", ["w2"], seed=2))
        a.delete("old")
        assert view.count_articles() == 1 and doc_of(view, view.dense_search(vec(1000), 1)) == ["old"]
    assert b.count_articles() == 1 and doc_of(b, b.dense_search(vec(2000), 1)) == ["new"]
    a.close(), b.close()


def test_a_writer_killed_before_its_index_file_is_caught_up_by_the_other(tmp_path, monkeypatch):
    a, b = FaissStore(tmp_path, DIM), FaissStore(tmp_path, DIM)
    a.upsert(*article("one", ["w1"], seed=1))
    assert b.count_articles() == 1

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing the index")

    monkeypatch.setattr(a._faiss, "write", killed)
    try:
        a.upsert(*article("two", ["w2"], seed=2))
    except KeyboardInterrupt:
        pass
    # SQLite committed "two" but no file of its generation exists: b rebuilds from SQLite.
    assert b.count_passages() == 2 and doc_of(b, b.dense_search(vec(2000), 1)) == ["two"]
    b.close()


def _hold_the_lock(folder, held, seconds):
    store = FaissStore(folder, DIM)
    with store.writing():
        held.set()
        time.sleep(seconds)
        store.upsert(*article("child", ["w9"], seed=9))
    store.close()


def test_writers_in_two_processes_take_turns(tmp_path):
    store = FaissStore(tmp_path, DIM)
    ctx = multiprocessing.get_context("spawn")
    held = ctx.Event()
    child = ctx.Process(target=_hold_the_lock, args=(tmp_path, held, 1.5))
    child.start()
    assert held.wait(60)
    t0 = time.monotonic()
    store.upsert(*article("parent", ["w1"], seed=1))  # waits for the child's block to end
    waited = time.monotonic() - t0
    child.join(30)
    assert child.exitcode == 0 and waited > 0.5, waited
    assert store.count_articles() == 2 and store.count_passages() == 2
    store.close()
