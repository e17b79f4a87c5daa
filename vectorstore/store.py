"""FaissStore: a PassageStore made of a DocStore (SQLite) and a FaissIndex derived from it.

SQLite is the source of truth (vectorstore/docstore.py): articles, passages, their vectors
and the BM25 index commit in one transaction. The FAISS file (vectorstore/faiss_index.py) is
derived from it and only written after that commit, named after the store's generation,
written to a temporary file and renamed into place; a process killed mid-ingest leaves the
last committed generation, and a FAISS file that doesn't match it is rebuilt from SQLite on
open. Nothing is ever unpickled.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from vectorstore.base import Hit, PassageFilter, StoredArticle, StoredPassage, StoreError, UpsertOutcome
from vectorstore.docstore import DocStore
from vectorstore.faiss_index import IVF_FROM, FaissIndex


class FaissStore:
    """A PassageStore in one folder: store.sqlite plus vectors-<generation>.faiss."""

    def __init__(self, folder: Path | str, dim: int, space: str | None = None,
                 ivf_from: int = IVF_FROM):
        """`space` names where the vectors come from (an embedding model): vectors of two
        spaces must never meet in one index, so a store refuses a space it wasn't built with."""
        self.folder = Path(folder)
        self.dim = dim
        self.ivf_from = ivf_from
        # One lock over both halves: a write holds it from its SQLite transaction through the
        # index update, and a dense search holds it too, so it never meets the FAISS index
        # mid-change or out of step with SQLite's filter ids. Reads of SQLite alone take none.
        self._lock = threading.RLock()
        self._docs = DocStore(self.folder, dim, space)
        self._faiss = FaissIndex(self._docs, ivf_from)

    @property
    def generation(self) -> int:
        return self._docs.generation

    # --- writes: SQLite commits first, then the FAISS file of that generation -----------
    def upsert(
        self, article: StoredArticle, passages: Sequence[StoredPassage], vectors: np.ndarray
    ) -> UpsertOutcome:
        """Add an article, replace it if its content changed, or do nothing."""
        return self.upsert_many([(article, passages, vectors)])[0]

    def upsert_many(
        self, items: Sequence[tuple[StoredArticle, Sequence[StoredPassage], np.ndarray]]
    ) -> list[UpsertOutcome]:
        """upsert() for many articles in one transaction and one index write."""
        prepared = []
        for article, passages, vectors in items:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
            if vectors.shape[0] != len(passages):
                raise StoreError(
                    f"{article.doc_id}: {len(passages)} passages but {vectors.shape[0]} vectors"
                )
            prepared.append((article, passages, vectors))
        with self._lock:
            outcomes, committed = self._docs.upsert_many(prepared)
            if committed is not None:
                self._faiss.apply(committed)
        return outcomes

    def delete(self, doc_id: str) -> bool:
        with self._lock:
            committed = self._docs.delete(doc_id)
            if committed is None:
                return False
            self._faiss.apply(committed)
            return True

    # --- reads: SQLite ------------------------------------------------------------------
    def content_hash(self, doc_id: str) -> str | None:
        return self._docs.content_hash(doc_id)

    def get_article(self, doc_id: str) -> StoredArticle | None:
        return self._docs.get_article(doc_id)

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        return self._docs.get_articles(doc_ids)

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[StoredArticle]:
        return self._docs.list_articles(offset, limit)

    def count_articles(self) -> int:
        return self._docs.count_articles()

    def count_passages(self) -> int:
        return self._docs.count_passages()

    def get_passages(self, ids: Sequence[int]) -> list[StoredPassage]:
        return self._docs.get_passages(ids)

    def lexical_search(
        self, terms: Sequence[str], k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        return self._docs.lexical_search(terms, k, flt)

    def document_frequency(self, term: str) -> int:
        """Passages containing the term, as FTS5 tokenises and stems it."""
        return self._docs.document_frequency(term)

    # --- dense search: FAISS, with the filter's passage ids from SQLite ---------------------
    def dense_search(
        self, vector: np.ndarray, k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            if self._faiss.ntotal == 0:
                return []
            if flt is None or (flt.is_empty() and flt.include_undated):
                return self._faiss.search(query, k)
            return self._faiss.search(query, k, self._docs.allowed_ids(flt))

    def close(self) -> None:
        with self._lock:
            self._docs.close()
