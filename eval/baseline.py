"""The baseline: what a LangChain RAG tutorial builds, answered by Byline's own answer stage.

RecursiveCharacterTextSplitter(1000, 200) → the same MiniLM embeddings → LangChain's FAISS
vector store, in memory only (its save/load is pickle: never used) → top 4 by similarity →
the same extractive answer stage: a retriever plugged into Byline's own asker
(qa/ask/service.py), so the reading, the threshold and the answer are Byline's, written once.
No hybrid search, no dates, no question rewriting: the difference between this and Byline is
what those are worth.
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from datetime import date

from langchain_community.vectorstores import FAISS
from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.ask.question import QuestionInfo
from qa.ask.retrieval import RetrievedPassage
from qa.ask.service import Asker
from qa.ingest.embeddings import Embedder
from qa.ingest.metadata import inferred_date, stated_date
from qa.ingest.passages import ANSWER_LABELS
from qa.ingest.readers import Draft
from qa.reading import Trace
from qa.settings import Settings
from qa.text import nlp
from qa.types import Answer, Article, Passage, Query, Span

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.U)


class BaselinePipeline:
    def __init__(self, drafts: list[Draft], embedder: Embedder, settings: Settings):
        self.today = settings.reference_date()
        self.drafts = {d.id: d for d in drafts}
        self._dates: dict[str, tuple[date, date] | None] = {}
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                                  add_start_index=True)
        docs = splitter.create_documents([d.text for d in drafts], metadatas=[{"doc_id": d.id} for d in drafts])
        t0 = time.perf_counter()
        # The embedder's content-hash cache is shared with Byline's runs: the same text is never
        # embedded twice, so a rerun (or a chunk equal to a Byline passage) costs nothing.
        self.store = FAISS.from_documents(docs, embedder)
        self.build_seconds = time.perf_counter() - t0
        self.chunks = len(docs)
        # Document frequencies over the chunks, for the answer stage's rarity weights.
        self._df: Counter[str] = Counter()
        for d in docs:
            self._df.update({w.lower() for w in _WORD.findall(d.page_content)})
        self.retriever = TutorialRetriever(self)
        # The extractive reader always: the baseline compares retrieval, not answer writers.
        self.asker = Asker(settings.model_copy(update={"generator": "extractive"}), None, embedder,
                           retriever_for=self._retriever, rewrite=False)

    def published(self, doc_id: str) -> tuple[date, date] | None:
        """The article's date as Byline would settle it (stated, else inferred from its text),
        so that both pipelines are held to the same dates when wrong-year answers are counted.
        Only the eval asks, and only for cited articles: the tutorial itself has no dates."""
        if doc_id not in self._dates:
            d = self.drafts.get(doc_id)
            found = None
            if d is not None:
                found = stated_date(d) or inferred_date(nlp.ingest()(d.text), list(d.skip), self.today)
            self._dates[doc_id] = (found.start, found.end) if found else None
        return self._dates[doc_id]

    def ask(self, query: Query, trace: Trace | None = None) -> Answer:
        return self.asker.ask(query, trace)

    def _retriever(self, info: QuestionInfo, text: str, query: Query) -> tuple["TutorialRetriever", str]:
        """The tutorial reads neither the question's time, nor filters, nor top_k: the question
        as written, over its chunks."""
        return self.retriever, text

    def _idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1.0 + (self.chunks - df + 0.5) / (df + 0.5))

    def article(self, doc_id: str) -> Article:
        """The draft as an article: its stated metadata only (the tutorial infers nothing)."""
        d = self.drafts[doc_id]
        return Article(id=d.id, title=d.title or d.id, source=d.source, url=d.url, published=stated_date(d), text=d.text)


class TutorialRetriever:
    """The tutorial's top 4 chunks by similarity, as the passages Byline's reader reads."""

    def __init__(self, pipeline: BaselinePipeline):
        self.pipeline = pipeline

    def search(self, text: str) -> list[RetrievedPassage]:
        hits = self.pipeline.store.similarity_search_with_score(text, k=TOP_K)
        passages: list[RetrievedPassage] = []
        for i, (doc, score) in enumerate(hits):
            start = doc.metadata["start_index"]
            # The tutorial stores no sentences or entities; the answer stage needs them, so the
            # chunks are parsed here, per question (and that time is counted).
            parsed = nlp.ingest()(doc.page_content)
            passage = Passage(doc_id=doc.metadata["doc_id"], ordinal=i, start=start,
                              end=start + len(doc.page_content), text=doc.page_content,
                              sentences=[Span(start + s.start_char, start + s.end_char) for s in parsed.sents],
                              entities=[Span(start + e.start_char, start + e.end_char, e.label_)
                                        for e in parsed.ents if e.label_ in ANSWER_LABELS])
            passages.append(RetrievedPassage(i, passage, self.pipeline.article(passage.doc_id), -float(score), 0))
        return passages

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        return {t: self.pipeline._idf(t) for t in terms}
