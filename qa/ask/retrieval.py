"""Hybrid retrieval: dense (FAISS) and lexical (BM25 in SQLite FTS5), fused by reciprocal rank.

Each hit comes back typed, once: the passage (sentences and entities as spans) with its
article, so the answer stages never fetch the article again. Also a LangChain retriever whose
Documents carry the passage's offsets and its article id, so every later stage can cite exactly.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.ingest.embeddings import Embedder
from qa.records import article_from_stored, passage_from_stored
from qa.text.dates import DateRange, states_time
from qa.text.tokens import query_terms
from qa.types import Article, Passage
from vectorstore import PassageFilter, PassageStore


@dataclass
class RetrievedPassage:
    passage_id: int
    passage: Passage
    article: Article
    score: float
    tier: int  # 0: date matches the question's time (or none asked), 1: unknown date, 2: later

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def start(self) -> int:
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def published_start(self) -> date | None:
        return self.article.published.start if self.article.published else None

    @property
    def published_on(self) -> date | None:
        """The day, where the article's date is known to the day."""
        pub = self.article.published
        return pub.start if pub and pub.start == pub.end else None

    def to_document(self) -> Document:
        return Document(
            page_content=self.text, id=str(self.passage_id),
            metadata={"passage_id": self.passage_id, "doc_id": self.doc_id, "start": self.start,
                      "end": self.end, "score": self.score, "tier": self.tier},
        )


class HybridRetriever(BaseRetriever):
    """Dense + BM25 passages for a query, fused by reciprocal rank fusion.

    When the question names a time, passages of articles whose date is known to match
    rank first, with later ones whose passage states that time; then those of unknown date, then
    other later ones (the answer stage uses later articles only where a sentence states the time).
    Asked as of a day (`dated_first`) with no time named, the k best passages are kept as they
    rank, and of those, ones of articles of unknown date come after dated ones: nothing says
    they were written by then, but they still answer where nothing dated does.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    embedder: Any
    k: int = 5
    candidates: int = 40
    rrf_k: int = 60
    passage_filter: PassageFilter | None = None
    time_range: DateRange | None = None
    dated_first: bool = False

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
        stored = store.get_passages(ordered[: max(self.k * 4, self.k)])
        articles = {k: article_from_stored(a) for k, a in store.get_articles(list({p.doc_id for p in stored})).items()}
        out: list[RetrievedPassage] = []
        first: dict[int, bool] = {}
        for sp in stored:
            hit = RetrievedPassage(int(sp.id), passage_from_stored(sp), articles[sp.doc_id], fused[int(sp.id)], 0)
            hit.tier, first[hit.passage_id] = self._tier(hit)
            out.append(hit)
        # Undated before other later ones, as the class says; the time's own group by score.
        out.sort(key=lambda r: (not first[r.passage_id], 0 if first[r.passage_id] else r.tier, -r.score))
        kept = out[: self.k]
        if self.dated_first and self.time_range is None:
            kept.sort(key=lambda r: r.article.published is None)  # stable: by score within each
        return kept

    def _tier(self, hit: RetrievedPassage) -> tuple[int, bool]:
        """The hit's tier, and whether it ranks with the articles of the time asked."""
        pub = hit.article.published
        if self.time_range is None:
            return 0, True
        if pub is None:
            return 1, False
        if self.time_range.overlaps(pub.start, pub.end):
            return 0, True
        # A later article whose passage names the time ('last week', 'in 2023') reports it,
        # and ranks with the matching ones.
        text = hit.article.text
        dates = [text[e.start:e.end] for e in hit.passage.entities if e.label == "DATE"]
        return 2, states_time(dates, self.time_range, hit.published_on)

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term, over the store's passages."""
        store: PassageStore = self.store
        total = max(store.count_passages(), 1)
        out = {}
        for term in terms:
            df = store.document_frequency(term)
            out[term] = math.log(1.0 + (total - df + 0.5) / (df + 0.5))
        return out

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [r.to_document() for r in self.search(query)]
