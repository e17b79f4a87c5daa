"""The archive: a store of articles you can add to, list, delete and ask questions of.

ask(): question (+ history, as-of date) → standalone question → retrieve → answer → citation.
The HTTP API and the command line are thin layers over this class.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from qa.ask.extractive.answer import candidate_sentences, extract, _weights
from qa.ingest.readers import Draft
from qa.generate.stream import Composition, chain, generate, split_markers
from qa.generate.chat_models import chat_model
from qa.generate.verify import Evidence
from qa.ingest.embeddings import Embedder, EmbeddingCache
from qa.ingest.pipeline import IngestReport, Ingestor, article_from_stored
from qa.generate.gguf import MODELS
from qa.types import Answer, Article, Citation, Filters, Span, Turn
from qa.ask.question import analyse
from qa.ask.retrieval import HybridRetriever, idf
from qa.ask.rewrite import ABSTAINED, standalone
from qa.settings import Settings
from vectorstore import FaissStore, PassageFilter, PassageStore

ABSTENTION = ABSTAINED + "."


@dataclass
class Trace:
    retrieved: list[str]  # article ids in rank order
    candidate: str | None  # the answer before the abstention threshold
    candidate_doc: str | None
    time_range: tuple[date, date] | None
    support: list[tuple[str, float]] = field(default_factory=list)  # best sentences, with their support
    generated: dict[str, Any] = field(default_factory=dict)  # what a generator wrote, kept and dropped


@dataclass
class Retrieved:
    """What the answer stages work from: the passages, in rank order, and their articles."""

    passages: list
    articles: dict[str, Article]
    names: list[str]  # what the question names


class Archive:
    def __init__(self, settings: Settings, store: PassageStore | None = None,
                 embedder: Embedder | None = None):
        self.settings = settings
        data = Path(settings.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder or Embedder(
            settings.embedding_model, EmbeddingCache(data / "embeddings.sqlite"),
            settings.embedding_batch_size,
        )
        self.store = store or FaissStore(data / "index", self.embedder.dim, space=self.embedder.name)
        self.ingestor = Ingestor(self.store, self.embedder, settings.reference_date(),
                                 settings.passage_chars, settings.passage_overlap_sentences)
        self._chain = None  # the generator's chat model, loaded on first use

    @property
    def generator(self) -> str:
        if self.settings.generator == "llm-local":
            known = self.settings.llm_model in MODELS
            return f"llm-local:{self.settings.llm_model if known else self.settings.llm_model_path().stem}"
        if self.settings.generator == "openai":
            return f"openai:{self.settings.openai_model}"
        return "extractive"

    def load_generator(self) -> None:
        """Load the configured chat model now (a server does at start), not at the first question."""
        if self.settings.generator != "extractive" and self._chain is None:
            model = chat_model(self.settings)
            if hasattr(model, "_load"):
                model._load()
            self._chain = chain(model)

    # --- articles -----------------------------------------------------------------
    def ingest_paths(self, paths: list[Path], progress: bool = False) -> IngestReport:
        return self.ingestor.ingest_paths(paths, progress=progress)

    def ingest_drafts(self, drafts: list[Draft], progress: bool = False) -> IngestReport:
        return self.ingestor.ingest_drafts(drafts, progress=progress, total=len(drafts))

    def ensure_seeded(self, progress: bool = True) -> IngestReport | None:
        """On first run (an empty store), ingest the seed articles."""
        if self.store.count_articles() > 0 or not Path(self.settings.seeds_dir).is_dir():
            return None
        return self.ingest_paths([Path(self.settings.seeds_dir)], progress=progress)

    def get(self, doc_id: str) -> Article | None:
        stored = self.store.get_article(doc_id)
        return article_from_stored(stored) if stored else None

    def list(self, offset: int = 0, limit: int = 50) -> tuple[list[Article], int]:
        return ([article_from_stored(a) for a in self.store.list_articles(offset, limit)],
                self.store.count_articles())

    def delete(self, doc_id: str) -> bool:
        return self.store.delete(doc_id)

    # --- questions ----------------------------------------------------------------
    def ask(self, question: str, history: list[Turn] | None = None, as_of: date | None = None,
            filters: Filters | None = None, top_k: int | None = None) -> Answer:
        return self.ask_traced(question, history, as_of, filters, top_k)[0]

    def ask_traced(self, question: str, history: list[Turn] | None = None, as_of: date | None = None,
                   filters: Filters | None = None, top_k: int | None = None) -> tuple[Answer, Trace]:
        """ask(), plus what an evaluation needs: the retrieved articles in rank order and the
        answer that was found before the abstention threshold was applied."""
        t0 = time.perf_counter()
        query = self.standalone(question, history, as_of)
        if self.settings.generator == "extractive":
            return self.answer_standalone(query, as_of, filters, top_k, started=t0)
        answer = trace = None
        for name, data in self._generated_events(query, as_of, filters, top_k, t0):
            if name == "done":
                answer = data
            elif name == "trace":
                trace = data
        return answer, trace

    def ask_events(self, question: str, history: list[Turn] | None = None, as_of: date | None = None,
                   filters: Filters | None = None, top_k: int | None = None) -> Iterator[tuple[str, Any]]:
        """ask() as a stream of (event, data): 'question' (the standalone question), 'citations',
        'answer' (pieces of the answer text, in order) and 'done' (the whole Answer, which
        carries every citation again, so nothing is lost if a piece is)."""
        t0 = time.perf_counter()
        query = self.standalone(question, history, as_of)
        yield "question", {"standalone_question": query}
        if self.settings.generator != "extractive":
            # Sentence by sentence, each sent once verified; citations are sent (all of them
            # so far) before the sentence that first uses them.
            yield from ((n, d) for n, d in self._generated_events(query, as_of, filters, top_k, t0) if n != "trace")
            return
        answer, _ = self.answer_standalone(query, as_of, filters, top_k, started=t0)
        yield from _spoken(answer)
        yield "done", answer

    def standalone(self, question: str, history: list[Turn] | None, as_of: date | None) -> str:
        return standalone(question, history or [], as_of or self.settings.reference_date())

    def answer_standalone(self, query: str, as_of: date | None = None, filters: Filters | None = None,
                          top_k: int | None = None, started: float | None = None) -> tuple[Answer, Trace]:
        """Retrieve and answer (extractively) a question that already stands alone."""
        answer, trace, _ = self._extract(query, as_of, filters, top_k, started)
        return answer, trace

    def _generated_events(self, query: str, as_of: date | None, filters: Filters | None, top_k: int | None,
                          started: float) -> Iterator[tuple[str, Any]]:
        """A generated answer as events; the extractive answer stands in when no generated
        sentence is supported (or the model declines), and then says so in `generator`."""
        extractive, trace, found = self._extract(query, as_of, filters, top_k, started)
        if extractive.abstained:
            # The passages don't support the question well enough for any answer (the same
            # threshold, chosen on the eval set): a model asked anyway writes true sentences
            # beside the point. On the seeds every such generated answer was to an unanswerable question.
            yield from _spoken(extractive)
            yield "done", extractive
            yield "trace", trace
            return
        self.load_generator()
        evidence = [Evidence(n=i, doc_id=p.doc_id, start=p.start, end=p.end,
                             sentences=tuple(Span(s, e) for s, e in p.metadata.get("sentences", [])),
                             article_text=found.articles[p.doc_id].text)
                    for i, p in enumerate(found.passages[: self.settings.llm_passages], 1)]
        composition = Composition({e.n: e for e in evidence}, found.articles, self.settings.verify_min_coverage,
                                  topic=found.names)
        timings = dict(extractive.timings_ms)
        t1 = time.perf_counter()
        sent_citations = 0
        if evidence:
            for kind, text in generate(self._chain, query, evidence, found.articles, composition):
                if kind == "token":
                    timings.setdefault("first_token", round((time.perf_counter() - started) * 1000, 1))
                    continue
                timings.setdefault("first_sentence", round((time.perf_counter() - started) * 1000, 1))
                if len(composition.citations) > sent_citations:
                    sent_citations = len(composition.citations)
                    yield "citations", [c.model_dump() for c in composition.citations]
                yield "answer", {"text": (" " if len(composition.kept) > 1 else "") + text}
        timings["generate"] = round((time.perf_counter() - t1) * 1000, 1)
        timings["total"] = round((time.perf_counter() - started) * 1000, 1)
        trace.generated = {"kept": composition.kept, "dropped": composition.dropped,
                           "declined": composition.declined, "attributed": composition.attributed}
        if composition.kept:
            answer = Answer(answer=composition.answer, abstained=False, confidence=extractive.confidence,
                            standalone_question=query, citations=composition.citations, timings_ms=timings,
                            generator=self.generator, dropped=len(composition.dropped))
            trace.candidate = split_markers(answer.answer)[0]
            trace.candidate_doc = answer.citations[0].doc_id
        else:
            answer = extractive.model_copy(update={"timings_ms": timings, "dropped": len(composition.dropped)})
            yield from _spoken(answer)
        yield "done", answer
        yield "trace", trace

    def _extract(self, query: str, as_of: date | None, filters: Filters | None, top_k: int | None,
                 started: float | None) -> tuple[Answer, Trace, Retrieved]:
        timings: dict[str, float] = {}
        t0 = started if started is not None else time.perf_counter()
        reference = as_of or self.settings.reference_date()
        t1 = time.perf_counter()
        timings["rewrite"] = (t1 - t0) * 1000

        info = analyse(query, reference)
        flt = self._filter(filters, as_of, info.time)
        retriever = HybridRetriever(
            store=self.store, embedder=self.embedder, k=top_k or self.settings.top_k,
            candidates=self.settings.candidates, rrf_k=self.settings.rrf_k,
            passage_filter=flt, time_range=info.time,
        )
        # The time is applied by the filter; left in the query, "2020" would match any passage
        # that merely mentions the year.
        search_text = query.replace(info.time.phrase, " ") if info.time and info.time.phrase else query
        passages = retriever.search(search_text)
        t2 = time.perf_counter()
        timings["retrieve"] = (t2 - t1) * 1000

        articles = self.store.get_articles(list({p.doc_id for p in passages})) if passages else {}
        total = max(self.store.count_passages(), 1)
        idfs = {t.text.lower(): idf(self.store, t.text.lower(), total) for t in info.terms}
        sentences = candidate_sentences(info, passages, {k: a.text for k, a in articles.items()}, idfs)
        found = extract(info, sentences, _weights(info, idfs))
        confidence = round(min(max(found.score, 0.0), 1.0), 3) if found else 0.0
        t3 = time.perf_counter()
        timings["answer"] = (t3 - t2) * 1000
        timings["total"] = (t3 - t0) * 1000
        timings = {k: round(v, 1) for k, v in timings.items()}

        trace = Trace(retrieved=list(dict.fromkeys(p.doc_id for p in passages)),
                      candidate=found.text if found else None,
                      candidate_doc=found.sentence.passage.doc_id if found else None,
                      time_range=(info.time.start, info.time.end) if info.time else None,
                      support=[(x.text, x.score) for x in sentences[:12]])
        retrieved = Retrieved(passages, {k: article_from_stored(a) for k, a in articles.items()}, list(info.named))
        if found is None or confidence < self.settings.abstain_below:
            return Answer(answer=ABSTENTION, abstained=True, confidence=confidence,
                          standalone_question=query, citations=[], timings_ms=timings), trace, retrieved
        art = retrieved.articles[found.sentence.passage.doc_id]
        sent = found.sentence
        citation = Citation(
            n=1, doc_id=art.id, title=art.title, source=art.source, url=art.url,
            published=art.published.value if art.published else None,
            published_inferred=bool(art.published and art.published.inferred),
            quote=sent.text, start=sent.span.start, end=sent.span.end,
        )
        return Answer(answer=f"{found.text} [1]", abstained=False, confidence=confidence,
                      standalone_question=query, citations=[citation], timings_ms=timings), trace, retrieved

    def _filter(self, filters: Filters | None, as_of: date | None, time_range) -> PassageFilter:
        f = filters or Filters()
        flt = PassageFilter(published_from=f.published_from, published_to=f.published_to,
                            sources=tuple(f.sources), doc_ids=tuple(f.doc_ids))
        if as_of is not None:
            # Articles known to be published after as_of are dropped; undated ones stay.
            to = min(as_of, flt.published_to) if flt.published_to else as_of
            flt = replace(flt, published_to=to)
        if time_range is not None:
            # Articles known to be older than the question's time can't report it. Later
            # ones stay, but only their sentences that state the time may answer.
            start = max(time_range.start, flt.published_from) if flt.published_from else time_range.start
            flt = replace(flt, published_from=start)
        return flt

    def close(self) -> None:
        self.store.close()
        self._chain = None  # a local model's memory goes with it


def _spoken(answer: Answer) -> Iterator[tuple[str, Any]]:
    """An answer that is whole already, as stream events: its citations, then its words."""
    yield "citations", [c.model_dump() for c in answer.citations]
    for piece in re.findall(r"\S+\s*", answer.answer):
        yield "answer", {"text": piece}
