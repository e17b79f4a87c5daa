"""Asking, the one way through: question (+ history, as-of) → standalone question → retrieve →
read (extractive, or a chat model checked against the passages) → answer with citations.

`Asker.events()` yields typed events as each stage finishes; `Asker.ask()` collects them. What
an evaluation needs beyond the answer (the articles retrieved, the candidate before the
abstention threshold, what a generator wrote) is filled into a `Trace` the caller passes.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import Protocol

from qa.ask.choices import ChoiceSupport, score_choices
from qa.ask.extractive import candidate_sentences, term_weights
from qa.ask.extractive import reader as extractive_reader
from qa.ask.extractive.typefit import PhraseVectors
from qa.ask.question import QuestionInfo, ahead_since, analyse
from qa.ask.readers import ExtractiveReader, extractive_answer, reader_for
from qa.ask.retrieval import HybridRetriever, RetrievedPassage
from qa.ask.rewrite import standalone
from qa.ingest.embeddings import Embedder
from qa.settings import Settings
from qa.text.dates import DateRange
from qa.errors import BylineError
from qa.reading import Reading, Trace
from qa.types import Answer, AskEvent, Done, Filters, OtherPassage, Query, StandaloneQuestion
from vectorstore import PassageFilter, StoreReads


class QuestionRetriever(Protocol):
    """What the asker reads passages through: a search, and the rarity of the question's terms
    over what it searches (they weigh the sentences' support)."""

    def search(self, text: str) -> list[RetrievedPassage]: ...

    def idf(self, terms: Iterable[str]) -> dict[str, float]: ...


# A question's retriever and the text it searches, from the question's analysis, its standalone
# text and the query as asked (its day, filters and top_k).
RetrieverFor = Callable[[QuestionInfo, str, Query], tuple[QuestionRetriever, str]]


class Asker:
    def __init__(self, settings: Settings, store: StoreReads | None, embedder: Embedder,
                 retriever_for: RetrieverFor | None = None, rewrite: bool = True):
        """`retriever_for` replaces Byline's hybrid retrieval over `store` (the tutorial baseline,
        eval/baseline.py, reads its own chunks); `rewrite=False` asks the question as written,
        whatever the history."""
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._retriever_for = retriever_for
        self.rewrite = rewrite
        self.reader = reader_for(settings)  # who speaks the answer (qa/ask/readers.py)
        self.extractive = ExtractiveReader()  # speaks an abstention, whoever the reader is
        self.phrase_vectors = PhraseVectors(embedder.encode)  # candidate texts, for the kind asked (typefit.py)
        self.keep_candidates = False  # training: describe every candidate, rank none (the ranker is off)

    def ask(self, query: Query, trace: Trace | None = None) -> Answer:
        for event in self.events(query, trace):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("events() always ends with Done")

    def events(self, query: Query, trace: Trace | None = None) -> Iterator[AskEvent]:
        """The standalone question, then citations and pieces of the answer text in order, then
        Done with the whole Answer (every citation again, so nothing is lost if a piece is)."""
        problem = query.problem()
        if problem:
            raise BylineError(problem)
        started = time.perf_counter()
        reference = query.as_of or self.settings.reference_date()
        text = standalone(query.question, query.history or [], reference) if self.rewrite else query.question
        yield StandaloneQuestion(text)
        timings = {"rewrite": _ms(started)}
        reading = self._read(text, reference, query, timings)
        timings["total"] = _ms(started)
        extractive = extractive_answer(reading, timings, self.settings.abstain_below)
        if trace is not None:
            _fill(trace, reading)
        # A question the passages don't support well enough abstains without asking a model:
        # asked anyway, it writes true sentences beside the point.
        speaker = self.extractive if extractive.abstained or not reading.passages else self.reader
        for event in speaker.events(reading, extractive, started, trace):
            yield Done(with_other_passages(event.answer, reading.passages)) if isinstance(event, Done) else event

    def _read(self, text: str, reference: date, query: Query, timings: dict[str, float]) -> Reading:
        """`text`: the standalone question; `query`: as asked (its day, filters, top_k)."""
        t0 = time.perf_counter()
        info = analyse(text, reference)
        retriever, search_text = self.retriever(info, text, query)
        passages = retriever.search(search_text)
        t1 = time.perf_counter()
        timings["retrieve"] = (t1 - t0) * 1000
        weights = term_weights(info, retriever.idf(t.text.lower() for t in info.terms))
        sentences = candidate_sentences(info, passages, weights)
        result = extractive_reader.read(info, sentences, weights, reference, describe_all=self.keep_candidates,
                             vectors=self.phrase_vectors)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        return Reading(text, info, passages, sentences, result.found, result.confidence, result.abstain_below,
                       result.candidates)

    def choose(self, query: Query, choices: list[str]) -> list[ChoiceSupport]:
        """Each option of a multiple-choice question with its support in the archive, in the
        order given (see choices.py): always over the store, its question rewritten (the options
        are searched with it, which only the hybrid retriever does)."""
        problem = query.problem()
        if problem:
            raise BylineError(problem)
        reference = query.as_of or self.settings.reference_date()
        text = standalone(query.question, query.history or [], reference)
        info = analyse(text, reference)
        retriever, search_text = self._hybrid(info, text, replace(query, top_k=None))
        weights = term_weights(info, retriever.idf(t.text.lower() for t in info.terms))
        return score_choices(info, retriever, search_text, weights, choices)

    def retriever(self, info: QuestionInfo, text: str, query: Query) -> tuple[QuestionRetriever, str]:
        """A question's retriever and the text it searches: the one given to the asker, else
        Byline's hybrid retrieval over `self.store`, read at each call, so an asker copied onto a
        snapshot (Archive._over) searches that snapshot."""
        return (self._retriever_for or self._hybrid)(info, text, query)

    def _hybrid(self, info: QuestionInfo, text: str, query: Query) -> tuple[HybridRetriever, str]:
        """Dense and BM25 retrieval over the store, and the text to search: the time is applied by
        the filter; left in the query, "2020" would match any passage that merely mentions the year."""
        as_of = query.as_of
        retriever = HybridRetriever(
            store=self.store, embedder=self.embedder, k=query.top_k or self.settings.top_k,
            candidates=self.settings.candidates, rrf_k=self.settings.rrf_k,
            passage_filter=passage_filter(query.filters, as_of, info.time), time_range=info.time,
            dated_first=as_of is not None,
        )
        if info.ahead is not None:
            since = ahead_since(info.ahead, as_of or self.settings.reference_date())
            flt = retriever.passage_filter
            retriever.passage_filter = replace(flt, published_from=max(since, flt.published_from or since))
        search_text = text.replace(info.time.phrase, " ") if info.time and info.time.phrase else text
        return retriever, search_text


def with_other_passages(answer: Answer, passages: list[RetrievedPassage], limit: int = 4,
                        chars: int = 300) -> Answer:
    """The answer with the retrieved passages it doesn't cite (best first), so a reader can see
    what else was read."""
    others = []
    for p in passages:
        if any(c.doc_id == p.doc_id and p.start <= c.start < p.end for c in answer.citations):
            continue
        art = p.article
        text = p.text if len(p.text) <= chars else p.text[:chars].rsplit(" ", 1)[0] + "…"
        others.append(OtherPassage(doc_id=p.doc_id, title=art.title, source=art.source,
                                   published=art.published.value if art.published else None,
                                   published_inferred=bool(art.published and art.published.inferred),
                                   start=p.start, end=p.end, text=text))
        if len(others) == limit:
            break
    return answer.model_copy(update={"other_passages": others})


def passage_filter(filters: Filters | None, as_of: date | None, time_range: DateRange | None) -> PassageFilter:
    f = filters or Filters()
    # With a publication range asked for, only articles known to be published in it are read,
    # unless the request includes undated ones; as_of alone (or the question's time) keeps them.
    explicit_range = f.published_from is not None or f.published_to is not None
    flt = PassageFilter(published_from=f.published_from, published_to=f.published_to,
                        include_undated=f.include_undated or not explicit_range,
                        sources=tuple(f.sources), doc_ids=tuple(f.doc_ids))
    if as_of is not None:
        # Articles known to be published after as_of are dropped; undated ones stay.
        flt = replace(flt, published_to=min(as_of, flt.published_to) if flt.published_to else as_of)
    if time_range is not None:
        # Articles known to be older than the question's time can't report it. Later
        # ones stay, but only their sentences that state the time may answer.
        start = max(time_range.start, flt.published_from) if flt.published_from else time_range.start
        flt = replace(flt, published_from=start)
    return flt


def _fill(trace: Trace, reading: Reading) -> None:
    found = reading.found
    trace.retrieved = list(dict.fromkeys(p.doc_id for p in reading.passages))
    trace.passages = [p.text for p in reading.passages]
    trace.candidate = found.text if found else None
    trace.candidate_doc = found.sentence.passage.doc_id if found else None
    trace.time_range = (reading.info.time.start, reading.info.time.end) if reading.info.time else None
    trace.support = [(x.text, x.score) for x in reading.sentences[:12]]
    trace.candidates = [(c.text, c.features) for c in reading.candidates]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
