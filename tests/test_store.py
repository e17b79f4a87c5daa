"""The FAISS store against the store contract, plus what only it promises: crash safety."""
import numpy as np
import pytest

from vectorstore import FaissStore, StoreError
from vectorstore.testing import DIM, StoreContract, article, vec


class TestFaissStore(StoreContract):
    @pytest.fixture
    def make_store(self, tmp_path):
        return lambda: FaissStore(tmp_path / "store", DIM)


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

    monkeypatch.setattr(s, "_write_index", killed)
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


def test_no_pickle_in_the_store():
    import inspect

    import vectorstore.faiss_store as mod

    assert "pickle" not in inspect.getsource(mod).replace("Nothing is ever unpickled", "")
