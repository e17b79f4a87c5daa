"""The store interface. It knows articles, passages and vectors; nothing about questions."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np


@dataclass
class StoredArticle:
    doc_id: str
    text: str
    content_hash: str
    title: str = ""
    source: str | None = None
    url: str | None = None
    published_start: date | None = None  # first day the article may have been published
    published_end: date | None = None  # last day (equal to start for a day-precise date)
    metadata: dict[str, Any] = field(default_factory=dict)
    added_at: str = ""


@dataclass
class StoredPassage:
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # assigned by the store


@dataclass(frozen=True)
class PassageFilter:
    """Metadata filter applied inside the search, so k results still come back.

    A date range keeps articles whose publication interval overlaps it; articles of
    unknown date are kept only when include_undated is true.
    """

    published_from: date | None = None
    published_to: date | None = None
    include_undated: bool = True
    sources: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return (
            self.published_from is None
            and self.published_to is None
            and not self.sources
            and not self.doc_ids
        )


@dataclass(frozen=True)
class Hit:
    passage_id: int
    score: float


class UpsertOutcome(str, Enum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


class StoreError(Exception):
    """A store operation failed for a reason the caller can report."""


@runtime_checkable
class DenseIndex(Protocol):
    """Nearest passages to a vector: inner product of unit vectors (cosine), higher is better."""

    dim: int

    def dense_search(
        self, vector: np.ndarray, k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        """The k passages (fewer only where fewer pass `flt`) nearest `vector`, best first; the
        filter is applied inside the search, never after it, so k still come back."""
        ...


@runtime_checkable
class LexicalIndex(Protocol):
    """Full-text search over the passages' texts. A backend tokenises and normalises in its own
    way (SQLite FTS5's porter stemmer; Milvus' BM25 analyser): what it must promise is that a
    term matches its inflections (`apple` matches "apples"), that scores are higher-is-better
    and comparable within one call, and that `document_frequency` counts with the same matching."""

    def lexical_search(
        self, terms: Sequence[str], k: int, flt: PassageFilter | None = None
    ) -> list[Hit]:
        """The k best passages holding any of `terms` (words as the question writes them, lower
        case), best first, under `flt` as dense_search applies it; [] where none does or k is 0."""
        ...

    def document_frequency(self, term: str) -> int:
        """How many passages hold `term` (matched as lexical_search matches it)."""
        ...


@runtime_checkable
class StoreReads(DenseIndex, LexicalIndex, Protocol):
    """What can be read from a store: by itself (each call sees one committed state), or from a
    snapshot (every call sees the same one)."""

    @property
    def generation(self) -> int:
        """The committed state these reads see: it grows with every write that changes anything,
        so a caller's cache keyed by it is never stale (a snapshot's stays fixed)."""
        ...

    def content_hash(self, doc_id: str) -> str | None: ...

    def get_article(self, doc_id: str) -> StoredArticle | None: ...

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]: ...

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[StoredArticle]: ...

    def count_articles(self) -> int: ...

    def count_passages(self) -> int: ...

    def get_passages(self, ids: Sequence[int]) -> list[StoredPassage]: ...


@runtime_checkable
class PassageStore(StoreReads, Protocol):
    """A store: reads, writes that commit whole, and snapshots. Readers never see a write half
    done; a snapshot sees the generation it began with until it ends."""

    def upsert(
        self, article: StoredArticle, passages: Sequence[StoredPassage], vectors: np.ndarray
    ) -> UpsertOutcome: ...

    def upsert_many(
        self, items: Sequence[tuple[StoredArticle, Sequence[StoredPassage], np.ndarray]]
    ) -> list[UpsertOutcome]: ...

    def delete(self, doc_id: str) -> bool: ...

    def snapshot(self) -> AbstractContextManager[StoreReads]: ...

    def writing(self) -> AbstractContextManager[None]:
        """Every other writer, in this process or another, held off until the block ends
        (re-entrant in one thread): for a read-then-write that must not interleave with another."""
        ...

    def close(self) -> None: ...
