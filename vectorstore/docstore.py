"""SQLite, the source of truth: articles, passages, their vectors and the BM25 index.

Articles, passages, their vectors (as float32 blobs) and a BM25 index (FTS5) commit in one
transaction, together with the store's generation, so a process killed mid-ingest leaves the
last committed state. Anything else (the FAISS index) is derived from what is here.

One connection writes; readers never use it. Each read runs on a connection of its own (kept
in a pool) inside a read transaction, so in WAL mode it sees one committed generation whole,
never a write half done, and doesn't wait for the writer.
"""
from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from vectorstore.base import Hit, PassageFilter, StoredArticle, StoredPassage, StoreError, UpsertOutcome

IDS_CACHED = 16  # filters whose passage ids are kept per generation

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


@dataclass(frozen=True)
class Committed:
    """What one committed write changed, for a derived index to follow."""
    generation: int
    removed: list[int]  # passage ids gone
    added: list[int]  # new passage ids, in the order of `vectors`' rows
    vectors: np.ndarray


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)


def stored_meta(folder: Path, key: str) -> str | None:
    """A meta value of the store in folder, read only, or None where it has no store (or no such key)."""
    path = folder / "store.sqlite"
    if not path.is_file():
        return None
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.DatabaseError:
        return None  # not a store, or damaged: opening it says so
    finally:
        db.close()
    return row[0] if row else None


class Reads:
    """Every read of the store, over one connection (`_db`)."""

    _db: sqlite3.Connection

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    def content_hash(self, doc_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM articles WHERE doc_id = ?",
                               (doc_id,)).fetchone()
        return row[0] if row else None

    def passage_ids(self, doc_id: str) -> list[int]:
        rows = self._db.execute("SELECT id FROM passages WHERE doc_id = ?", (doc_id,))
        return [r[0] for r in rows]

    @staticmethod
    def _article(row: tuple) -> StoredArticle:
        return StoredArticle(
            doc_id=row[0], content_hash=row[1], title=row[2], source=row[3], url=row[4],
            published_start=_date(row[5]), published_end=_date(row[6]),
            metadata=json.loads(row[7]), text=row[8], added_at=row[9],
        )

    def get_article(self, doc_id: str) -> StoredArticle | None:
        row = self._db.execute("SELECT * FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return self._article(row) if row else None

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        marks = ",".join("?" * len(doc_ids))
        rows = self._db.execute(f"SELECT * FROM articles WHERE doc_id IN ({marks})", list(doc_ids))
        return {row[0]: self._article(row) for row in rows}

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[StoredArticle]:
        rows = self._db.execute("SELECT * FROM articles ORDER BY doc_id LIMIT ? OFFSET ?",
                                (limit, offset))
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
            r[0]: StoredPassage(id=r[0], doc_id=r[1], ordinal=r[2], start=r[3], end=r[4],
                                text=r[5], metadata=json.loads(r[6]))
            for r in rows
        }
        return [by_id[int(i)] for i in ids if int(i) in by_id]

    # --- vectors, for the derived index ---------------------------------------------
    def iter_vectors(self) -> Iterator[tuple[int, np.ndarray]]:
        """Every passage's (id, vector), in id order."""
        for pid, blob in self._db.execute("SELECT id, vector FROM passages ORDER BY id"):
            yield pid, np.frombuffer(blob, dtype=np.float32)

    def sample_vectors(self, limit: int) -> list[np.ndarray]:
        """Up to `limit` passage vectors drawn at random."""
        return [np.frombuffer(b, dtype=np.float32) for (b,) in self._db.execute(
            "SELECT vector FROM passages ORDER BY random() LIMIT ?", (limit,))]

    # --- filters and lexical search -------------------------------------------------
    @staticmethod
    def _filter_sql(flt: PassageFilter) -> tuple[str, list]:
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

    def allowed_ids(self, flt: PassageFilter) -> np.ndarray:
        """The ids of the passages that pass a filter, ascending: for the dense index's selector and
        to keep the lexical hits that pass (a binary search)."""
        where, params = self._filter_sql(flt)
        rows = self._db.execute(
            f"SELECT p.id FROM passages p JOIN articles a ON a.doc_id = p.doc_id WHERE {where} ORDER BY p.id", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    @staticmethod
    def fts_query(terms: Sequence[str]) -> str:
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms if t.strip()]
        return " OR ".join(quoted)

    def lexical_search(self, terms: Sequence[str], k: int, flt: PassageFilter | None = None) -> list[Hit]:
        match = self.fts_query(terms)
        if not match or k <= 0:
            return []
        # FTS5's bm25() is lower-is-better; flip it so every Hit score is higher-is-better.
        if flt is None or (flt.is_empty() and flt.include_undated):
            rows = self._db.execute("SELECT rowid, bm25(passages_fts) AS score FROM passages_fts "
                                    "WHERE passages_fts MATCH ? ORDER BY score LIMIT ?", (match, k))
            return [Hit(r[0], -float(r[1])) for r in rows]
        # Under a filter, the full-text index is searched alone and its hits, best first, kept where
        # the filter's passages (allowed_ids, which a view caches per generation) hold them, until
        # k are: joining every match to its passage and article in SQL cost twice as much (23
        # against 13 ms p50 on the RealTimeQA store, the same hits in the same order on 150 questions).
        allowed = self.allowed_ids(flt)
        rows = self._db.execute("SELECT rowid, bm25(passages_fts) AS score FROM passages_fts "
                                "WHERE passages_fts MATCH ? ORDER BY score", (match,))
        hits: list[Hit] = []
        while len(hits) < k and (chunk := rows.fetchmany(256)):
            ids = np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
            at = np.minimum(np.searchsorted(allowed, ids), max(len(allowed) - 1, 0))
            passes = allowed[at] == ids if len(allowed) else np.zeros(len(ids), dtype=bool)
            hits += [Hit(int(i), -float(r[1])) for i, r, ok in zip(ids, chunk, passes) if ok]
        return hits[:k]

    def count_matching(self, term: str) -> int:
        """Passages containing the term, as FTS5 tokenises and stems it (uncached)."""
        match = self.fts_query([term])
        if not match:
            return 0
        row = self._db.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?",
                               (match,)).fetchone()
        return int(row[0])


class ReadView(Reads):
    """The reads of one read transaction: one committed generation, whatever is written meanwhile.
    Made by DocStore.reading(); the term-frequency cache is shared, keyed by generation."""

    def __init__(self, db: sqlite3.Connection, docs: "DocStore"):
        self._db = db
        self._docs = docs
        self.snapshot_generation = self.generation  # the first read fixes the snapshot

    def document_frequency(self, term: str) -> int:
        """Passages containing the term in this generation, cached for the generation."""
        cached = self._docs.cached_frequency(self.snapshot_generation, term)
        if cached is not None:
            return cached
        df = self.count_matching(term)
        self._docs.cache_frequency(self.snapshot_generation, term, df)
        return df

    def allowed_ids(self, flt: PassageFilter) -> np.ndarray:
        """The ids a filter lets through in this generation, cached for the generation."""
        cached = self._docs.cached_ids(self.snapshot_generation, flt)
        if cached is not None:
            return cached
        ids = super().allowed_ids(flt)
        self._docs.cache_ids(self.snapshot_generation, flt, ids)
        return ids


class DocStore(Reads):
    """store.sqlite in a folder. Writes go through its own connection and take no lock:
    FaissStore serialises them. Reads go through reading()."""

    def __init__(self, folder: Path | str, dim: int, space: str | None = None):
        """`space` names where the vectors come from (an embedding model): vectors of two
        spaces must never meet in one index, so a store refuses a space it wasn't built with."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "store.sqlite"
        self.dim = dim
        self._db = _connect(self.path)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(SCHEMA)
        stored_dim = self.meta("dim")
        if stored_dim is None:
            self.set_meta("dim", str(dim))
        elif int(stored_dim) != dim:
            raise StoreError(
                f"{self.folder} holds {stored_dim}-dimensional vectors, but the embedding model "
                f"makes {dim}: use another data folder or delete this one"
            )
        if space is not None:
            stored_space = self.meta("space")
            if stored_space is None:
                self.set_meta("space", space)
            elif stored_space != space:
                raise StoreError(
                    f"{self.folder} holds vectors from {stored_space!r}, not {space!r}: set the "
                    f"embedding model (or its precision, BYLINE_EMBEDDING_PRECISION) back, or use "
                    f"another data folder")
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._closed = False
        self._df_lock = threading.Lock()
        self._df_generation = -1
        self._df_cache: dict[str, int] = {}
        # The passages a filter lets through, per generation: a week's questions, a conversation's
        # as-of day or a date filter repeat one filter, and listing its ids costs more than the search.
        self._ids_cache: OrderedDict[PassageFilter, np.ndarray] = OrderedDict()

    # --- reading: a connection of the pool, in a read transaction ----------------------
    def begin_read(self) -> ReadView:
        """A read transaction on a pooled connection; its first read fixes its generation.
        Hand it back with end_read()."""
        if self._closed:
            raise StoreError("the store is closed")
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = _connect(self.path)
            db.execute("PRAGMA query_only = ON")
        db.execute("BEGIN")
        try:
            return ReadView(db, self)
        except BaseException:
            db.execute("ROLLBACK")
            self._idle.put(db)
            raise

    def end_read(self, view: ReadView) -> None:
        db = view._db
        try:
            db.execute("COMMIT")
        finally:
            if self._closed:
                db.close()
            else:
                self._idle.put(db)

    def cached_frequency(self, generation: int, term: str) -> int | None:
        with self._df_lock:
            return self._df_cache.get(term) if generation == self._df_generation else None

    def cache_frequency(self, generation: int, term: str, df: int) -> None:
        with self._df_lock:
            self._follow_generation(generation)
            if generation == self._df_generation:
                self._df_cache[term] = df

    def cached_ids(self, generation: int, flt: PassageFilter) -> np.ndarray | None:
        with self._df_lock:
            if generation != self._df_generation or flt not in self._ids_cache:
                return None
            self._ids_cache.move_to_end(flt)
            return self._ids_cache[flt]

    def cache_ids(self, generation: int, flt: PassageFilter, ids: np.ndarray) -> None:
        ids.flags.writeable = False  # shared by every reader of the generation
        with self._df_lock:
            self._follow_generation(generation)
            if generation == self._df_generation:
                self._ids_cache[flt] = ids
                while len(self._ids_cache) > IDS_CACHED:
                    self._ids_cache.popitem(last=False)

    def _follow_generation(self, generation: int) -> None:
        """A newer generation starts new caches (held under _df_lock)."""
        if generation > self._df_generation:
            self._df_generation, self._df_cache, self._ids_cache = generation, {}, OrderedDict()

    # --- metadata -----------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- writes -------------------------------------------------------------------
    def _commit(self, committed: Committed, guard: AbstractContextManager,
                follow: Callable[[Committed], None] | None) -> None:
        """COMMIT, and let a derived index follow, both inside `guard` (the caller's lock), so
        no reader finds SQLite at one generation and the index at another."""
        with guard:
            try:
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if follow is not None:
                follow(committed)

    def upsert_many(
        self, prepared: Sequence[tuple[StoredArticle, Sequence[StoredPassage], np.ndarray]],
        guard: AbstractContextManager | None = None, follow: Callable[[Committed], None] | None = None,
    ) -> tuple[list[UpsertOutcome], Committed | None]:
        """Add, replace or skip each article in one transaction; its vectors are float32 rows,
        one a passage. The Committed is None when nothing changed (no new generation)."""
        outcomes: list[UpsertOutcome] = []
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
                removed += self.passage_ids(article.doc_id)
                self._db.execute("DELETE FROM articles WHERE doc_id = ?", (article.doc_id,))
                self._db.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (article.doc_id, article.content_hash, article.title, article.source,
                     article.url, _iso(article.published_start), _iso(article.published_end),
                     json.dumps(article.metadata, ensure_ascii=False), article.text,
                     article.added_at or now),
                )
                for passage, vector in zip(passages, vectors):
                    cur = self._db.execute(
                        'INSERT INTO passages(doc_id, ordinal, start, "end", text, metadata, '
                        "vector) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (article.doc_id, passage.ordinal, passage.start, passage.end, passage.text,
                         json.dumps(passage.metadata, ensure_ascii=False), vector.tobytes()),
                    )
                    added.append(int(cur.lastrowid))
                added_vectors.append(vectors)
                outcomes.append(UpsertOutcome.REPLACED if old_hash else UpsertOutcome.ADDED)
            if not (removed or added_vectors):
                self._db.execute("ROLLBACK")
                return outcomes, None
            self.set_meta("generation", str(generation))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        vecs = np.concatenate(added_vectors) if added_vectors else np.zeros((0, self.dim), np.float32)
        committed = Committed(generation, removed, added, vecs)
        self._commit(committed, guard or nullcontext(), follow)
        return outcomes, committed

    def delete(self, doc_id: str, guard: AbstractContextManager | None = None,
               follow: Callable[[Committed], None] | None = None) -> Committed | None:
        """Remove an article and its passages; None when there was no such article."""
        generation = self.generation + 1
        self._db.execute("BEGIN IMMEDIATE")
        try:
            old_ids = self.passage_ids(doc_id)
            cur = self._db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))
            if cur.rowcount == 0:
                self._db.execute("ROLLBACK")
                return None
            self.set_meta("generation", str(generation))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        committed = Committed(generation, old_ids, [], np.zeros((0, self.dim), np.float32))
        self._commit(committed, guard or nullcontext(), follow)
        return committed

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self._db.close()
