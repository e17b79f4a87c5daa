"""Hybrid retrieval: dense (FAISS) and lexical (BM25 in SQLite FTS5), fused by reciprocal rank.

Exposed as a LangChain retriever: Documents whose metadata carry the passage's offsets and
its article, so every later stage can cite exactly.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict
from spacy.lang.en.stop_words import STOP_WORDS

from qa.text.dates import DateRange, states_time
from qa.ingest.embeddings import Embedder
from vectorstore import PassageFilter, PassageStore

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.U)
QUESTION_WORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how"}


def query_terms(text: str) -> list[str]:
    """Content words for BM25: no stop words, no question words, each once."""
    seen: dict[str, None] = {}
    for m in _WORD.finditer(text):
        w = re.sub(r"['’]s$", "", m[0].lower())
        if w in STOP_WORDS or w in QUESTION_WORDS or len(w) < 2:
            continue
        seen.setdefault(w, None)
    return list(seen)


@dataclass
class RetrievedPassage:
    passage_id: int
    doc_id: str
    start: int
    end: int
    text: str
    score: float
    tier: int  # 0: date matches the question's time (or none asked), 1: unknown date, 2: later
    published_start: date | None = None
    published_on: date | None = None  # the day, where the article's date is known to the day
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_document(self) -> Document:
        return Document(
            page_content=self.text,
            id=str(self.passage_id),
            metadata={
                "passage_id": self.passage_id, "doc_id": self.doc_id, "start": self.start,
                "end": self.end, "score": self.score, "tier": self.tier,
                **self.metadata,
            },
        )


class HybridRetriever(BaseRetriever):
    """Dense + BM25 passages for a query, fused by reciprocal rank fusion.

    When the question names a time, passages of articles whose date is known to match
    rank first, with later ones whose passage states that time; then those of unknown date, then
    other later ones (the answer stage uses later articles only where a sentence states the time).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    embedder: Any
    k: int = 5
    candidates: int = 40
    rrf_k: int = 60
    passage_filter: PassageFilter | None = None
    time_range: DateRange | None = None

    def search(self, query: str) -> list[RetrievedPassage]:
        store: PassageStore = self.store
        embedder: Embedder = self.embedder
        flt = self.passage_filter
        dense = store.dense_search(embedder.embed_query_vector(query), self.candidates, flt)
        lexical = store.lexical_search(query_terms(query), self.candidates, flt)
        fused: dict[int, float] = {}
        for hits in (dense, lexical):
            for rank, hit in enumerate(hits):
                fused[hit.passage_id] = fused.get(hit.passage_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        if not fused:
            return []
        ordered = sorted(fused, key=fused.__getitem__, reverse=True)
        passages = store.get_passages(ordered[: max(self.k * 4, self.k)])
        articles = store.get_articles(list({p.doc_id for p in passages}))
        out: list[RetrievedPassage] = []
        ranks: dict[int, int] = {}
        for p in passages:
            art = articles[p.doc_id]
            tier, first = 0, True
            day = art.published_start if art.published_start == art.published_end else None
            if self.time_range is not None:
                if art.published_start is None:
                    tier, first = 1, False
                elif not self.time_range.overlaps(art.published_start, art.published_end):
                    # A later article whose passage names the time ('last week', 'in 2023')
                    # reports it, and ranks with the matching ones.
                    dates = [p.text[a - p.start: b - p.start]
                             for a, b, label in p.metadata.get("entities", []) if label == "DATE"]
                    tier, first = 2, states_time(dates, self.time_range, day)
            ranks[int(p.id)] = 0 if first else 1
            out.append(
                RetrievedPassage(
                    passage_id=int(p.id), doc_id=p.doc_id, start=p.start, end=p.end, text=p.text,
                    score=fused[int(p.id)], tier=tier, published_start=art.published_start,
                    published_on=day, metadata=p.metadata,
                )
            )
        out.sort(key=lambda r: (ranks[r.passage_id], -r.score))
        return out[: self.k]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [r.to_document() for r in self.search(query)]


def idf(store: PassageStore, term: str, total: int) -> float:
    df = store.document_frequency(term)
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))
