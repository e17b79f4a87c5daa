"""The contract every PassageStore must pass. Subclass StoreContract and give `make_store`.

    class TestMyStore(StoreContract):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda folder=tmp_path / "s": MyStore(folder, dim=8)
"""
from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pytest

from vectorstore.base import (DenseIndex, LexicalIndex, PassageFilter, PassageStore, StoredArticle, StoredPassage,
                              StoreReads, UpsertOutcome)

DIM = 8


def vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def article(doc_id: str, words: list[str], published: date | None = None, source: str | None = None,
            seed: int = 0) -> tuple[StoredArticle, list[StoredPassage], np.ndarray]:
    text = " ".join(words)
    passages, pos = [], 0
    for i, w in enumerate(words):
        passages.append(StoredPassage(doc_id=doc_id, ordinal=i, start=pos, end=pos + len(w), text=w,
                                      metadata={"i": i}))
        pos += len(w) + 1
    digest = hashlib.sha256((text + str(published) + str(source)).encode()).hexdigest()
    art = StoredArticle(doc_id=doc_id, text=text, content_hash=digest, title=doc_id, source=source,
                        published_start=published, published_end=published)
    vectors = np.stack([vec(seed * 1000 + i) for i in range(len(words))])
    return art, passages, vectors


class StoreContract:
    @pytest.fixture
    def make_store(self, tmp_path):  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store) -> PassageStore:
        s = make_store()
        yield s
        s.close()

    def test_upsert_is_added_then_unchanged_then_replaced(self, store):
        a = article("a", ["alpha", "beta"])
        assert store.upsert(*a) == UpsertOutcome.ADDED
        assert store.upsert(*a) == UpsertOutcome.UNCHANGED
        assert store.count_passages() == 2
        b = article("a", ["alpha", "beta", "gamma"], seed=1)
        assert store.upsert(*b) == UpsertOutcome.REPLACED
        assert store.count_articles() == 1
        assert store.count_passages() == 3
        assert store.get_article("a").text == "alpha beta gamma"

    def test_offsets_and_metadata_round_trip(self, store):
        store.upsert(*article("a", ["alpha", "beta"], published=date(2025, 2, 7), source="Mehr"))
        got = store.get_article("a")
        assert (got.published_start, got.source) == (date(2025, 2, 7), "Mehr")
        hits = store.lexical_search(["beta"], 5)
        (p,) = store.get_passages([hits[0].passage_id])
        assert got.text[p.start:p.end] == p.text == "beta"
        assert p.metadata == {"i": 1}

    def test_delete_removes_passages_and_vectors(self, store):
        store.upsert(*article("a", ["alpha", "beta"]))
        store.upsert(*article("b", ["gamma"], seed=2))
        assert store.delete("a") is True
        assert store.delete("a") is False
        assert store.get_article("a") is None
        assert store.count_passages() == 1
        hits = store.dense_search(vec(0), 10)
        assert {store.get_passages([h.passage_id])[0].doc_id for h in hits} == {"b"}
        assert store.lexical_search(["alpha"], 5) == []

    def test_dense_search_finds_the_nearest(self, store):
        store.upsert(*article("a", ["w0", "w1", "w2"], seed=3))
        hits = store.dense_search(vec(3001), 1)
        assert store.get_passages([hits[0].passage_id])[0].text == "w1"

    def test_filters_still_return_k(self, store):
        # 30 articles; only 5 pass the filter, and they are not the nearest overall.
        for i in range(30):
            store.upsert(*article(f"d{i:02d}", [f"x{i}a", f"x{i}b"], published=date(2000 + i, 6, 1), seed=i))
        flt = PassageFilter(published_from=date(2020, 1, 1), published_to=date(2024, 12, 31))
        hits = store.dense_search(vec(0), 8, flt)
        assert len(hits) == 8
        docs = {store.get_passages([h.passage_id])[0].doc_id for h in hits}
        assert docs <= {f"d{i:02d}" for i in range(20, 25)}
        assert len(store.lexical_search(["x3a", "x21a", "x22b"], 5, flt)) == 2

    def test_a_filter_keeps_the_lexical_order_scores_and_k(self, store):
        # Passages repeating "kiwi" more often rank higher; a filter keeps that order (and the
        # scores) among its own passages and still returns k of them, however many better ones it
        # drops; a passage added later is seen by the next search under the same filter.
        for i in range(12):
            words = ["kiwi " * (i + 1) + f"filler{i}"]
            store.upsert(*article(f"k{i:02d}", words, published=date(2001 + i % 2, 1, 1), seed=i))
        everything = [(h.passage_id, h.score) for h in store.lexical_search(["kiwi"], 12)]
        in_2002 = PassageFilter(published_from=date(2002, 1, 1), published_to=date(2002, 12, 31))
        allowed = {h.passage_id for h in store.lexical_search(["kiwi"], 12, in_2002)}
        assert len(allowed) == 6
        kept = [(h.passage_id, h.score) for h in store.lexical_search(["kiwi"], 3, in_2002)]
        assert kept == [(p, s) for p, s in everything if p in allowed][:3]
        assert store.lexical_search(["kiwi"], 0, in_2002) == []
        store.upsert(*article("late", ["kiwi " * 40], published=date(2002, 6, 1), seed=99))
        top = store.lexical_search(["kiwi"], 1, in_2002)[0]
        assert store.get_passages([top.passage_id])[0].doc_id == "late"
        assert store.lexical_search(["kiwi"], 5, PassageFilter(doc_ids=("k03",)))[0].passage_id in allowed
        assert {store.get_passages([h.passage_id])[0].doc_id
                for h in store.lexical_search(["kiwi"], 20, PassageFilter(include_undated=False))} \
            == {f"k{i:02d}" for i in range(12)} | {"late"}

    def test_date_filter_keeps_or_drops_undated(self, store):
        store.upsert(*article("dated", ["apple"], published=date(2020, 5, 1)))
        store.upsert(*article("undated", ["apple"], seed=1))
        store.upsert(*article("late", ["apple"], published=date(2025, 1, 1), seed=2))
        keep = PassageFilter(published_to=date(2021, 1, 1), include_undated=True)
        drop = PassageFilter(published_to=date(2021, 1, 1), include_undated=False)

        def docs(flt):
            return {store.get_passages([h.passage_id])[0].doc_id for h in store.lexical_search(["apple"], 10, flt)}

        assert docs(keep) == {"dated", "undated"}
        assert docs(drop) == {"dated"}
        assert {store.get_passages([h.passage_id])[0].doc_id for h in store.dense_search(vec(0), 10, drop)} == {"dated"}

    def test_source_and_doc_id_filters(self, store):
        store.upsert(*article("a", ["apple"], source="Mehr News Agency"))
        store.upsert(*article("b", ["apple"], source="Tasnim", seed=1))
        by_source = PassageFilter(sources=("mehr news agency",))
        assert [store.get_passages([h.passage_id])[0].doc_id for h in store.lexical_search(["apple"], 5, by_source)] == ["a"]
        by_id = PassageFilter(doc_ids=("b",))
        assert [store.get_passages([h.passage_id])[0].doc_id for h in store.dense_search(vec(0), 5, by_id)] == ["b"]

    def test_document_frequency(self, store):
        store.upsert(*article("a", ["apple", "apples", "pear"]))
        assert store.document_frequency("apple") == 2  # stemmed
        assert store.document_frequency("kiwi") == 0

    def test_reopen_keeps_everything(self, make_store):
        s = make_store()
        s.upsert(*article("a", ["alpha", "beta"]))
        s.close()
        s = make_store()
        assert s.count_passages() == 2
        assert len(s.dense_search(vec(0), 2)) == 2
        s.close()

    def test_upsert_many_in_one_call(self, store):
        outcomes = store.upsert_many([article("a", ["x"]), article("b", ["y"], seed=1), article("a", ["x"])])
        assert outcomes == [UpsertOutcome.ADDED, UpsertOutcome.ADDED, UpsertOutcome.UNCHANGED]
        assert store.get_articles(["a", "b", "zz"]).keys() == {"a", "b"}

    def test_the_store_and_its_snapshots_are_what_the_protocols_say(self, store):
        assert isinstance(store, PassageStore) and isinstance(store, DenseIndex) and isinstance(store, LexicalIndex)
        with store.snapshot() as view:
            assert isinstance(view, StoreReads)

    def test_every_write_that_changes_something_moves_the_generation_on(self, store):
        seen = [store.generation]
        store.upsert(*article("a", ["alpha"]))
        seen.append(store.generation)
        store.upsert(*article("a", ["alpha"]))  # unchanged: nothing to see
        assert store.generation == seen[-1]
        with store.snapshot() as view:
            store.upsert(*article("b", ["beta"], seed=1))
            seen.append(store.generation)
            assert view.generation == seen[1]  # a snapshot's stays where it began
        store.delete("a")
        seen.append(store.generation)
        assert seen == sorted(set(seen)), seen

    def test_a_snapshot_keeps_its_generation_while_writes_go_on(self, store):
        store.upsert(*article("a", ["alpha", "beta"]))
        with store.snapshot() as view:
            store.delete("a")
            store.upsert(*article("b", ["gamma"], seed=1))
            # The snapshot still sees "a" whole, by every kind of read, and nothing of "b".
            assert view.count_articles() == 1 and view.count_passages() == 2
            assert view.lexical_search(["gamma"], 5) == []
            ids = [h.passage_id for h in view.dense_search(vec(0), 5)]
            assert sorted(p.text for p in view.get_passages(ids)) == ["alpha", "beta"]
            assert view.get_articles(["a", "b"]).keys() == {"a"}
            assert view.document_frequency("alpha") == 1 and view.document_frequency("gamma") == 0
            assert [a.doc_id for a in view.list_articles()] == ["a"] and view.content_hash("b") is None
        assert store.count_articles() == 1 and store.get_article("a") is None
        assert store.document_frequency("alpha") == 0 and store.document_frequency("gamma") == 1
        hits = store.dense_search(vec(1000), 5)
        assert [p.text for p in store.get_passages([h.passage_id for h in hits])] == ["gamma"]
