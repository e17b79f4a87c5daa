"""FAISS for vectors, SQLite for everything else.

SQLite is the source of truth: articles, passages, their vectors (as float32 blobs)
and a BM25 index (FTS5) commit in one transaction. The FAISS file is derived from it
and named after the store's generation, written to a temporary file and renamed into
place; a process killed mid-ingest leaves the last committed generation, and a FAISS
file that doesn't match it is rebuilt from SQLite on open. Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Sequence

import faiss
import numpy as np

from vectorstore.base import (
    Hit,
    PassageFilter,
    StoredArticle,
    StoredPassage,
    StoreError,
    UpsertOutcome,
)

IVF_FROM = 50_000  # passages: below, exact flat search; from here, an inverted file
IVF_PROBES = 16

SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT,
    url TEXT,
    published_start TEXT,
    published_end TEXT,
    metadata TEXT NOT NULL,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_start, published_end);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES articles(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, content='passages', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


class FaissStore:
    """A PassageStore in one folder: store.sqlite plus vectors-<generation>.faiss."""

    def __init__(self, folder: Path | str, dim: int, space: str | None = None,
                 ivf_from: int = IVF_FROM):
        """`space` names where the vectors come from (an embedding model): vectors of two
        spaces must never meet in one index, so a store refuses a space it wasn't built with."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.ivf_from = ivf_from
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.folder / "store.sqlite", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(SCHEMA)
        stored_dim = self._meta("dim")
        if stored_dim is None:
            self._set_meta("dim", str(dim))
        elif int(stored_dim) != dim:
            raise StoreError(
                f"{self.folder} holds {stored_dim}-dimensional vectors, but the embedding model "
                f"makes {dim}: use another data folder or delete this one"
            )
        if space is not None:
            stored_space = self._meta("space")
            if stored_space is None:
                self._set_meta("space", space)
            elif stored_space != space:
                raise StoreError(
                    f"{self.folder} holds vectors from {stored_space!r}, not {space!r}: set the "
                    f"embedding model back, or use another data folder")
        self._df_cache: dict[str, int] = {}
        self._index = self._load_or_rebuild_index()

    # --- metadata -----------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    # --- the FAISS file -----------------------------------------------------------
    def _index_path(self, generation: int) -> Path:
        return self.folder / f"vectors-{generation}.faiss"

    def _new_index(self, n: int) -> faiss.Index:
        """The index type for a store of n passages (eval/scale.py measured the choice):
        exact flat search below `ivf_from` (50,000: about 15 ms a query on 2 cores), an
        inverted file above it (IVF-Flat, 4·√n lists, 16 probed: 0.6-0.7 ms and recall@10
        0.99-1.0 at a million, tight or spread clusters, where flat takes 110-270 ms). IVF keeps exact vectors, deletes in place and
        takes the same ID selectors as flat, which HNSW (no deletes) does not."""
        if n < self.ivf_from:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))  # FAISS wants ~39 points a list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.nprobe = min(IVF_PROBES, nlist)
        sample = [np.frombuffer(b, dtype=np.float32) for (b,) in self._db.execute(
            "SELECT vector FROM passages ORDER BY random() LIMIT ?", (min(n, 256 * nlist),))]
        index.train(np.stack(sample))
        self._set_meta("trained_on", str(n))
        return index

    def _is_ivf(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    def _wants_rebuild(self) -> bool:
        """Crossing the size rule, or an inverted file grown 4× past what it was trained on."""
        n = self._index.ntotal
        if not self._is_ivf():
            return n >= self.ivf_from
        return n >= 4 * int(self._meta("trained_on") or n) or n < self.ivf_from // 2

    def _load_or_rebuild_index(self) -> faiss.Index:
        path = self._index_path(self.generation)
        expected = self.count_passages()
        if path.exists():
            try:
                index = faiss.read_index(str(path))
                if index.ntotal == expected and index.d == self.dim:
                    if isinstance(index, faiss.IndexIVF):
                        index.nprobe = min(IVF_PROBES, index.nlist)
                    return index
            except RuntimeError:
                pass  # a damaged file is rebuilt below
        return self._rebuild(expected)

    def _rebuild(self, expected: int) -> faiss.Index:
        index = self._new_index(expected)
        batch_ids: list[int] = []
        batch_vecs: list[np.ndarray] = []
        for pid, blob in self._db.execute("SELECT id, vector FROM passages ORDER BY id"):
            batch_ids.append(pid)
            batch_vecs.append(np.frombuffer(blob, dtype=np.float32))
            if len(batch_ids) >= 50_000:
                index.add_with_ids(np.stack(batch_vecs), np.asarray(batch_ids, dtype=np.int64))
                batch_ids, batch_vecs = [], []
        if batch_ids:
            index.add_with_ids(np.stack(batch_vecs), np.asarray(batch_ids, dtype=np.int64))
        self._write_index(index, self.generation)
        return index

    def _write_index(self, index: faiss.Index, generation: int) -> None:
        final = self._index_path(generation)
        tmp = final.with_suffix(".faiss.tmp")
        faiss.write_index(index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        for old in self.folder.glob("vectors-*.faiss*"):
            if old != final:
                old.unlink(missing_ok=True)

    # --- writes -------------------------------------------------------------------
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
        outcomes: list[UpsertOutcome] = []
        with self._lock:
            removed: list[int] = []
            added: list[int] = []
            added_vectors: list[np.ndarray] = []
            generation = self.generation + 1
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for article, passages, vectors in prepared:
                    old_hash = self.content_hash(article.doc_id)
                    if old_hash == article.content_hash:
                        outcomes.append(UpsertOutcome.UNCHANGED)
                        continue
                    removed += self._passage_ids(article.doc_id)
                    self._db.execute("DELETE FROM articles WHERE doc_id = ?", (article.doc_id,))
                    self._db.execute(
                        "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            article.doc_id,
                            article.content_hash,
                            article.title,
                            article.source,
                            article.url,
                            _iso(article.published_start),
                            _iso(article.published_end),
                            json.dumps(article.metadata, ensure_ascii=False),
                            article.text,
                            article.added_at or now,
                        ),
                    )
                    for passage, vector in zip(passages, vectors):
                        cur = self._db.execute(
                            'INSERT INTO passages(doc_id, ordinal, start, "end", text, metadata, '
                            "vector) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (
                                article.doc_id,
                                passage.ordinal,
                                passage.start,
                                passage.end,
                                passage.text,
                                json.dumps(passage.metadata, ensure_ascii=False),
                                vector.tobytes(),
                            ),
                        )
                        added.append(int(cur.lastrowid))
                    added_vectors.append(vectors)
                    outcomes.append(UpsertOutcome.REPLACED if old_hash else UpsertOutcome.ADDED)
                if removed or added_vectors:
                    self._set_meta("generation", str(generation))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if removed or added_vectors:
                vecs = np.concatenate(added_vectors) if added_vectors else np.zeros((0, self.dim), np.float32)
                self._apply_to_index(removed, added, vecs, generation)
        return outcomes

    def delete(self, doc_id: str) -> bool:
        with self._lock:
            old_ids = self._passage_ids(doc_id)
            generation = self.generation + 1
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))
                if cur.rowcount == 0:
                    self._db.execute("ROLLBACK")
                    return False
                self._set_meta("generation", str(generation))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._apply_to_index(old_ids, [], np.zeros((0, self.dim), np.float32), generation)
            return True

    def _apply_to_index(
        self, removed: list[int], added: list[int], vectors: np.ndarray, generation: int
    ) -> None:
        if removed:
            self._index.remove_ids(faiss.IDSelectorBatch(np.asarray(removed, dtype=np.int64)))
        if added:
            self._index.add_with_ids(vectors, np.asarray(added, dtype=np.int64))
        self._df_cache.clear()
        if self._wants_rebuild():
            self._index = self._rebuild(self.count_passages())  # written by the rebuild
        else:
            self._write_index(self._index, generation)

    def _passage_ids(self, doc_id: str) -> list[int]:
        rows = self._db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))
        return [r[0] for r in rows]

    # --- reads --------------------------------------------------------------------
    def content_hash(self, doc_id: str) -> str | None:
        row = self._db.execute(
            "SELECT content_hash FROM articles WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return row[0] if row else None

    def _article(self, row: tuple) -> StoredArticle:
        return StoredArticle(
            doc_id=row[0],
            content_hash=row[1],
            title=row[2],
            source=row[3],
            url=row[4],
            published_start=_date(row[5]),
            published_end=_date(row[6]),
            metadata=json.loads(row[7]),
            text=row[8],
            added_at=row[9],
        )

    def get_article(self, doc_id: str) -> StoredArticle | None:
        row = self._db.execute("SELECT * FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return self._article(row) if row else None

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        marks = ",".join("?" * len(doc_ids))
        rows = self._db.execute(f"SELECT * FROM articles WHERE doc_id IN ({marks})", list(doc_ids))
        return {row[0]: self._article(row) for row in rows}

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[StoredArticle]:
        rows = self._db.execute(
            "SELECT * FROM articles ORDER BY doc_id LIMIT ? OFFSET ?", (limit, offset)
        )
        return [self._article(r) for r in rows]

    def count_articles(self) -> int:
        return self._db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def count_passages(self) -> int:
        return self._db.execute("SELECT count(*) FROM passages").fetchone()[0]

    def get_passages(self, ids: Sequence[int]) -> list[StoredPassage]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f'SELECT id, doc_id, ordinal, start, "end", text, metadata FROM passages '
            f"WHERE id IN ({marks})",
            [int(i) for i in ids],
        )
        by_id = {
            r[0]: StoredPassage(
                id=r[0], doc_id=r[1], ordinal=r[2], start=r[3], end=r[4], text=r[5],
                metadata=json.loads(r[6]),
            )
            for r in rows
        }
        return [by_id[int(i)] for i in ids if int(i) in by_id]

    # --- search -------------------------------------------------------------------
    def _filter_sql(self, flt: PassageFilter) -> tuple[str, list]:
        """A WHERE clause over `articles a` that a filter stands for."""
        clauses: list[str] = []
        params: list = []
        if flt.published_from or flt.published_to:
            dated: list[str] = []
            if flt.published_to:
                dated.append("a.published_start <= ?")
                params.append(flt.published_to.isoformat())
            if flt.published_from:
                dated.append("a.published_end >= ?")
                params.append(flt.published_from.isoformat())
            cond = "(a.published_start IS NOT NULL AND " + " AND ".join(dated) + ")"
            if flt.include_undated:
                cond = f"({cond} OR a.published_start IS NULL)"
            clauses.append(cond)
        elif not flt.include_undated:
            clauses.append("a.published_start IS NOT NULL")
        if flt.sources:
            clauses.append(f"lower(a.source) IN ({','.join('?' * len(flt.sources))})")
            params.extend(s.lower() for s in flt.sources)
        if flt.doc_ids:
            clauses.append(f"a.doc_id IN ({','.join('?' * len(flt.doc_ids))})")
            params.extend(flt.doc_ids)
        return (" AND ".join(clauses) or "1"), params

    def _allowed_ids(self, flt: PassageFilter) -> np.ndarray:
        where, params = self._filter_sql(flt)
        rows = self._db.execute(
            f"SELECT p.id FROM passages p JOIN articles a ON a.doc_id = p.doc_id WHERE {where}",
            params,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def dense_search(
        self, vector: np.ndarray, k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            if self._index.ntotal == 0:
                return []
            k = min(k, self._index.ntotal)
            if flt is None or (flt.is_empty() and flt.include_undated):
                scores, ids = self._index.search(query, k)
                return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i != -1]
            allowed = self._allowed_ids(flt)
            if allowed.size == 0:
                return []
            # The selector is applied inside the search, so k hits come back whenever k
            # passages pass the filter (no post-filtering shortfall).
            sel = faiss.IDSelectorBatch(allowed)
            if not self._is_ivf():
                scores, ids = self._index.search(query, k, params=faiss.SearchParameters(sel=sel))
            else:
                # An inverted file's selector sees only the lists it probes. A narrow filter
                # (one week of a big archive) leaves few passages there, so probe more lists
                # the fewer pass, expecting 2k of them; and all lists if still short.
                nlist = self._index.nlist
                nprobe = min(nlist, max(self._index.nprobe, math.ceil(2 * k * nlist / allowed.size)))
                scores, ids = self._index.search(query, k, params=faiss.SearchParametersIVF(sel=sel, nprobe=nprobe))
                if (ids[0] != -1).sum() < min(k, allowed.size) and nprobe < nlist:
                    scores, ids = self._index.search(query, k, params=faiss.SearchParametersIVF(sel=sel, nprobe=nlist))
        return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i != -1]

    @staticmethod
    def _fts_query(terms: Sequence[str]) -> str:
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms if t.strip()]
        return " OR ".join(quoted)

    def lexical_search(
        self, terms: Sequence[str], k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        match = self._fts_query(terms)
        if not match:
            return []
        where, params = self._filter_sql(flt or PassageFilter())
        rows = self._db.execute(
            "SELECT p.id, bm25(passages_fts) AS score FROM passages_fts "
            "JOIN passages p ON p.id = passages_fts.rowid "
            "JOIN articles a ON a.doc_id = p.doc_id "
            f"WHERE passages_fts MATCH ? AND {where} ORDER BY score LIMIT ?",
            [match, *params, k],
        )
        # FTS5's bm25() is lower-is-better; flip it so every Hit score is higher-is-better.
        return [Hit(r[0], -float(r[1])) for r in rows]

    def document_frequency(self, term: str) -> int:
        """Passages containing the term, as FTS5 tokenises and stems it."""
        match = self._fts_query([term])
        if not match:
            return 0
        if term not in self._df_cache:
            row = self._db.execute(
                "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (match,)
            ).fetchone()
            self._df_cache[term] = int(row[0])
        return self._df_cache[term]

    def close(self) -> None:
        with self._lock:
            self._db.close()
