"""The FAISS store against the store contract, plus what only it promises: crash safety."""
from datetime import date

import numpy as np
import pytest

from vectorstore import STORE_KINDS, FaissStore, PassageFilter, PassageStore, StoreError, open_store
from vectorstore.testing import DIM, StoreContract, article, vec


class TestEveryKindFromTheFactory(StoreContract):
    """Each registered backend, opened as the archive and the eval open it: by name."""

    @pytest.fixture(params=STORE_KINDS)
    def make_store(self, request, tmp_path):
        return lambda: open_store(request.param, tmp_path / "store", DIM, space="test-space")


class TestFaissStoreAsInvertedFile(StoreContract):
    """The same contract once the store has grown past the flat-search size (made tiny here)."""

    @pytest.fixture
    def make_store(self, tmp_path):
        return lambda: FaissStore(tmp_path / "store", DIM, ivf_from=2)


def test_store_switches_to_an_inverted_file_and_back_by_size(tmp_path):
    import faiss

    store = FaissStore(tmp_path / "s", DIM, ivf_from=10)
    for i in range(4):
        store.upsert(*article(f"d{i}", ["w1", "w2"], seed=i))
    assert not isinstance(store._faiss.index, faiss.IndexIVF) and store._faiss.index.ntotal == 8
    store.upsert(*article("big", ["w3", "w4"], seed=9))  # crossing the rule rebuilds as IVF
    assert isinstance(store._faiss.index, faiss.IndexIVF) and store._faiss.index.ntotal == 10
    hits = store.dense_search(vec(9 * 100), 3)
    assert hits and all(h.passage_id in {p.id for p in store.get_passages([h.passage_id])} for h in hits)
    store.close()
    reopened = FaissStore(tmp_path / "s", DIM, ivf_from=10)  # read back as it was written
    assert isinstance(reopened._faiss.index, faiss.IndexIVF) and reopened._faiss.index.ntotal == 10
    for i in range(4):
        reopened.delete(f"d{i}")  # shrunk under half the rule: flat again
    assert not isinstance(reopened._faiss.index, faiss.IndexIVF) and reopened._faiss.index.ntotal == 2
    reopened.close()


def test_index_file_written_atomically_and_named_by_generation(tmp_path):
    s = FaissStore(tmp_path, DIM)
    s.upsert(*article("a", ["x", "y"]))
    files = sorted(p.name for p in tmp_path.glob("vectors-*"))
    assert files == [f"vectors-{s.generation}.faiss"]
    assert not list(tmp_path.glob("*.tmp"))
    s.close()


def test_killed_between_commit_and_index_write_recovers(tmp_path, monkeypatch):
    s = FaissStore(tmp_path, DIM)
    s.upsert(*article("a", ["x", "y"]))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing the index")

    monkeypatch.setattr(s._faiss, "write", killed)
    with pytest.raises(KeyboardInterrupt):
        s.upsert(*article("b", ["z"], seed=1))
    monkeypatch.undo()
    s.close()
    # SQLite committed "b"; the FAISS file on disk is the old generation: it is rebuilt.
    s = FaissStore(tmp_path, DIM)
    assert s.count_passages() == 3
    assert len(s.dense_search(vec(1000), 3)) == 3
    s.close()


def test_killed_mid_transaction_leaves_previous_state(tmp_path):
    s = FaissStore(tmp_path, DIM)
    s.upsert(*article("a", ["x", "y"]))
    bad = article("b", ["z", "w"], seed=1)
    with pytest.raises(StoreError):
        s.upsert(bad[0], bad[1], bad[2][:1])  # vectors don't match passages: nothing is written
    assert s.count_articles() == 1 and s.count_passages() == 2
    s.close()


def test_damaged_index_file_is_rebuilt_not_trusted(tmp_path):
    s = FaissStore(tmp_path, DIM)
    s.upsert(*article("a", ["x", "y"]))
    path = tmp_path / f"vectors-{s.generation}.faiss"
    s.close()
    path.write_bytes(b"not a faiss index")
    s = FaissStore(tmp_path, DIM)
    assert len(s.dense_search(vec(0), 2)) == 2
    s.close()


def test_dimension_mismatch_is_a_clear_error(tmp_path):
    FaissStore(tmp_path, DIM).close()
    with pytest.raises(StoreError, match="8-dimensional"):
        FaissStore(tmp_path, 16)


def test_vectors_of_another_model_are_refused(tmp_path):
    FaissStore(tmp_path, DIM, space="all-MiniLM-L6-v2").close()
    FaissStore(tmp_path, DIM, space="all-MiniLM-L6-v2").close()  # the same model opens
    with pytest.raises(StoreError, match="multilingual-e5-small"):
        FaissStore(tmp_path, DIM, space="multilingual-e5-small")


def test_no_pickle_in_the_store():
    import inspect

    import vectorstore.docstore
    import vectorstore.faiss_index
    import vectorstore.store

    for mod in (vectorstore.docstore, vectorstore.faiss_index, vectorstore.store):
        assert "pickle" not in inspect.getsource(mod).replace("Nothing is ever unpickled", ""), mod


def test_the_e5_embedder_loads_offline_and_ranks_the_relevant_passage_first():
    from qa.ingest.embeddings import Embedder

    e = Embedder("multilingual-e5-small")
    passages = e.encode(["Zarif arrived in Baghdad at the invitation of Ammar al-Hakim.",
                         "The festival in Valletta drew 48,000 visitors."])
    q = e.encode(["Who invited Zarif to Baghdad?"], query=True)[0]
    assert passages.shape == (2, 384) == (2, e.dim)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert passages[0] @ q > passages[1] @ q


def test_a_narrow_filter_on_an_inverted_file_still_returns_k(tmp_path):
    """An inverted file's selector only sees the lists it probes: a filter that leaves a few
    passages of a big store (one week of an archive) must still get k of them back."""
    import faiss

    store = FaissStore(tmp_path / "s", DIM, ivf_from=100)
    store.upsert_many([article(f"d{i:04d}", [f"w{i}a", f"w{i}b"], seed=i,
                               published=date(2030, 1, 1) if i % 500 == 7 else date(2000 + i % 20, 1, 1))
                       for i in range(1500)])
    index = store._faiss.index
    assert isinstance(index, faiss.IndexIVF) and index.nlist > 4 * index.nprobe
    week = PassageFilter(published_from=date(2030, 1, 1))  # 3 articles, 6 passages
    for seed in range(20):
        hits = store.dense_search(vec(seed), 5, week)
        assert len(hits) == 5 and {h.passage_id for h in hits} <= set(store._docs.allowed_ids(week).tolist())
    assert len(store.dense_search(vec(1), 10, week)) == 6
    store.close()


def test_open_store_opens_a_known_kind(tmp_path):
    assert "faiss" in STORE_KINDS
    store = open_store("faiss", tmp_path / "s", DIM, space="all-MiniLM-L6-v2")
    assert isinstance(store, FaissStore) and isinstance(store, PassageStore)
    store.upsert(*article("a", ["alpha", "beta"]))
    assert len(store.dense_search(vec(0), 2)) == 2
    store.close()
    with pytest.raises(StoreError, match="multilingual-e5-small"):  # the space reaches the store
        open_store("faiss", tmp_path / "s", DIM, space="multilingual-e5-small")


def test_open_store_refuses_an_unknown_kind_naming_the_known_ones(tmp_path):
    with pytest.raises(StoreError, match=r"unknown store kind 'chroma'; known kinds: faiss$"):
        open_store("chroma", tmp_path / "s", DIM)
    assert not (tmp_path / "s").exists()


def test_a_filters_passages_are_listed_once_per_generation(tmp_path):
    """Kept for the store generation they were read in: a write shows in the next search, and the
    kept list can't be changed by a reader."""
    store = FaissStore(tmp_path / "s", DIM)
    store.upsert(*article("old", ["a", "b"], seed=1, published=date(2024, 1, 3)))
    week = PassageFilter(published_from=date(2024, 1, 1), published_to=date(2024, 1, 7))
    with store.snapshot() as s:
        first = s._reads.allowed_ids(week)
    with store.snapshot() as s:
        assert s._reads.allowed_ids(week) is first  # listed once
    assert not first.flags.writeable
    store.upsert(*article("new", ["c"], seed=2, published=date(2024, 1, 5)))
    with store.snapshot() as s:
        assert len(s._reads.allowed_ids(week)) == 3  # the write's generation lists its own
    hits = store.dense_search(vec(2), 5, week)
    assert {store.get_passages([h.passage_id])[0].doc_id for h in hits} == {"old", "new"}
    store.close()
