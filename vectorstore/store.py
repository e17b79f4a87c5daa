"""FaissStore: a PassageStore made of a DocStore (SQLite) and a FaissIndex derived from it.

SQLite is the source of truth (vectorstore/docstore.py): articles, passages, their vectors
and the BM25 index commit in one transaction. The FAISS file (vectorstore/faiss_index.py) is
derived from it and only written after that commit, named after the store's generation,
written to a temporary file and renamed into place; a process killed mid-ingest leaves the
last committed generation, and a FAISS file that doesn't match it is rebuilt from SQLite on
open. Nothing is ever unpickled.

Several processes may open one folder (`byline serve --workers N`, a CLI ingest beside a
server). Writers, in any process, are serialised by a file lock (write.lock), held from the
SQLite transaction through the index file. A process that finds SQLite at a generation newer
than its index (another process wrote) catches up under that lock, from the newer file, before
it reads or writes: a write through one worker is seen by every other's next read, whole.
"""
from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import numpy as np

from vectorstore.base import Hit, PassageFilter, StoredArticle, StoredPassage, StoreError, UpsertOutcome
from vectorstore.docstore import Committed, DocStore, ReadView
from vectorstore.faiss_index import IVF_FROM, FaissIndex, Version, search


class Snapshot:
    """The store as one committed generation left it: SQLite reads in one read transaction of
    their own, dense search on the FAISS index of that same generation. Writes made meanwhile
    are not seen; nothing here waits for them. Made by FaissStore.snapshot()."""

    def __init__(self, reads: ReadView, version: Version, dim: int):
        self._reads = reads
        self._version = version
        self.dim = dim
        self.generation = reads.snapshot_generation

    def content_hash(self, doc_id: str) -> str | None:
        return self._reads.content_hash(doc_id)

    def get_article(self, doc_id: str) -> StoredArticle | None:
        return self._reads.get_article(doc_id)

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        return self._reads.get_articles(doc_ids)

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[StoredArticle]:
        return self._reads.list_articles(offset, limit)

    def count_articles(self) -> int:
        return self._reads.count_articles()

    def count_passages(self) -> int:
        return self._reads.count_passages()

    def get_passages(self, ids: Sequence[int]) -> list[StoredPassage]:
        return self._reads.get_passages(ids)

    def lexical_search(self, terms: Sequence[str], k: int, flt: PassageFilter | None = None) -> list[Hit]:
        return self._reads.lexical_search(terms, k, flt)

    def document_frequency(self, term: str) -> int:
        return self._reads.document_frequency(term)

    def dense_search(self, vector: np.ndarray, k: int, flt: PassageFilter | None = None) -> list[Hit]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        index = self._version.index
        if index.ntotal == 0:
            return []
        if flt is None or (flt.is_empty() and flt.include_undated):
            return search(index, query, k)
        return search(index, query, k, self._reads.allowed_ids(flt))


class FaissStore:
    """A PassageStore in one folder: store.sqlite plus vectors-<generation>.faiss."""

    def __init__(self, folder: Path | str, dim: int, space: str | None = None,
                 ivf_from: int = IVF_FROM):
        """`space` names where the vectors come from (an embedding model): vectors of two
        spaces must never meet in one index, so a store refuses a space it wasn't built with."""
        self.folder = Path(folder)
        self.dim = dim
        self.ivf_from = ivf_from
        # Writes are serialised by _write_lock, held from the SQLite transaction through the
        # index file. _lock is held briefly: by a write from its COMMIT until the index of the
        # new generation is published, and by a snapshot while it fixes its SQLite generation
        # and takes that index, so the two always match. Readers never wait for a write's work.
        self._write_lock = threading.RLock()
        self._lock = threading.Lock()
        self._holder = threading.local()  # whether this thread holds the file lock already
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_file = self.folder / "write.lock"
        with self.writing(catch_up=False):  # two processes opening a new folder make it once
            self._docs = DocStore(self.folder, dim, space)
            self._faiss = FaissIndex(self._docs, ivf_from)

    @contextmanager
    def writing(self, catch_up: bool = True) -> Iterator[None]:
        """Every other writer, in this process or another, held off until the block ends;
        re-entrant in one thread. Entering it first follows any write another process made."""
        if getattr(self._holder, "depth", 0):
            self._holder.depth += 1
            try:
                yield
            finally:
                self._holder.depth -= 1
            return
        with self._write_lock, self._lock_file.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            self._holder.depth = 1
            try:
                if catch_up:
                    self._catch_up()
                yield
            finally:
                self._holder.depth = 0
                fcntl.flock(f, fcntl.LOCK_UN)

    def _catch_up(self) -> None:
        """The index of SQLite's committed generation, where another process moved it on: read
        from its file (that process wrote it before letting the lock go), or rebuilt where it died
        first. Called holding the write lock; snapshots holding the old version keep it."""
        if self._docs.generation != self._faiss.current.generation:
            version = self._faiss.reload()
            with self._lock:
                self._faiss.current = version

    @property
    def generation(self) -> int:
        """The generation readers see now."""
        return self._faiss.current.generation

    # --- reads: each in a snapshot of its own; snapshot() for several that must agree ------
    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Reads that see one committed generation whole, however long they take and whatever
        is written meanwhile (a question's searches and fetches, a page and its total)."""
        for attempt in range(3):
            with self._lock:
                reads = self._docs.begin_read()  # its first read fixes the SQLite generation
                version = self._faiss.current
                # (A third write by another process meanwhile: read on; its next snapshot follows.)
                if reads.snapshot_generation == version.generation or attempt == 2:
                    version.readers += 1
                    break
            # Another process committed a newer generation: follow it, then read again.
            self._docs.end_read(reads)
            with self.writing():
                pass
        try:
            yield Snapshot(reads, version, self.dim)
        finally:
            with self._lock:
                version.readers -= 1
            self._docs.end_read(reads)

    def content_hash(self, doc_id: str) -> str | None:
        with self.snapshot() as s:
            return s.content_hash(doc_id)

    def get_article(self, doc_id: str) -> StoredArticle | None:
        with self.snapshot() as s:
            return s.get_article(doc_id)

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        with self.snapshot() as s:
            return s.get_articles(doc_ids)

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[StoredArticle]:
        with self.snapshot() as s:
            return s.list_articles(offset, limit)

    def count_articles(self) -> int:
        with self.snapshot() as s:
            return s.count_articles()

    def count_passages(self) -> int:
        with self.snapshot() as s:
            return s.count_passages()

    def get_passages(self, ids: Sequence[int]) -> list[StoredPassage]:
        with self.snapshot() as s:
            return s.get_passages(ids)

    def lexical_search(
        self, terms: Sequence[str], k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        with self.snapshot() as s:
            return s.lexical_search(terms, k, flt)

    def document_frequency(self, term: str) -> int:
        """Passages containing the term, as FTS5 tokenises and stems it."""
        with self.snapshot() as s:
            return s.document_frequency(term)

    def dense_search(
        self, vector: np.ndarray, k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        with self.snapshot() as s:
            return s.dense_search(vector, k, flt)

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
        with self.writing():
            published: list[Version] = []
            outcomes, _ = self._docs.upsert_many(prepared, self._lock, self._follow(published))
            self._write_file(published)
        return outcomes

    def delete(self, doc_id: str) -> bool:
        with self.writing():
            published: list[Version] = []
            committed = self._docs.delete(doc_id, self._lock, self._follow(published))
            self._write_file(published)
            return committed is not None

    def _follow(self, published: list[Version]):
        def follow(committed: Committed) -> None:
            published.append(self._faiss.apply(committed))
        return follow

    def _write_file(self, published: list[Version]) -> None:
        """The new generation's file, after readers already have its index: a process killed
        before this leaves SQLite ahead of the file, which the next open rebuilds."""
        for version in published:
            self._faiss.write(version.index, version.generation)

    def close(self) -> None:
        with self._write_lock:
            self._docs.close()
