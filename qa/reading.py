"""What the read stage hands to whichever reader answers: the retrieved sentences (`Sentence`),
a span chosen in one (`Extracted`), the whole reading of a question (`Reading`), what an
evaluation keeps of it (`Trace`), and the one way a quote is cited (`cite()`).

Neutral ground: the asker builds these, the extractive and generating readers (qa/ask/readers.py,
qa/generate/) take them, and nothing here imports a reader at run time (the extractive reader's
Candidate only for type checking), so no reader imports the asker back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from qa.ask.question import QuestionInfo
from qa.ask.retrieval import RetrievedPassage
from qa.types import Citation, Span

if TYPE_CHECKING:
    from qa.ask.extractive.reader import Candidate


@dataclass
class Sentence:
    """A sentence of a retrieved passage, with its support for the question."""

    passage: RetrievedPassage
    span: Span
    text: str
    score: float
    entities: list[Span]
    hits: list[tuple[str, int, int]] | None = None  # its words that match the question's, where known

    @property
    def article_text(self) -> str:
        return self.passage.article.text


@dataclass
class Extracted:
    """An answer span cut from a sentence: offsets into the article text, and its support."""

    sentence: Sentence
    start: int
    end: int
    text: str
    score: float
    kind: str = ""  # which rule cut it: title, focus, entity, place, why, sentence


@dataclass
class Reading:
    """The question as the readers see it: its analysis, the passages retrieved (each with its
    article), the candidate sentences scored against the question's weighted terms, and the
    extractive reader's best span and confidence (every reader falls back on it)."""

    standalone: str  # the question as asked, made standalone (rewrite.py)
    info: QuestionInfo
    passages: list[RetrievedPassage]
    sentences: list[Sentence]
    found: Extracted | None
    confidence: float
    abstain_below: float  # the reader's own threshold (BYLINE_ABSTAIN_BELOW, where set, overrides it)
    candidates: list[Candidate] = field(default_factory=list)  # ranked, where the ranker ran


@dataclass
class Trace:
    """What an evaluation reads besides the answer; filled in by `Asker.events(trace=...)`."""

    retrieved: list[str] = field(default_factory=list)  # article ids in rank order
    passages: list[str] = field(default_factory=list)  # the texts handed to the answer stage
    candidate: str | None = None  # the answer before the abstention threshold
    candidate_doc: str | None = None
    time_range: tuple[date, date] | None = None
    support: list[tuple[str, float]] = field(default_factory=list)  # best sentences, with their support
    generated: dict[str, Any] = field(default_factory=dict)  # what a generator wrote, kept and dropped
    candidates: list[tuple[str, dict[str, float]]] = field(default_factory=list)  # the reader's, with features


def cite(n: int, passage: RetrievedPassage, start: int, end: int) -> Citation:
    """Citation n: the article's provenance and its text[start:end], quoted exactly."""
    art = passage.article
    return Citation(n=n, doc_id=art.id, title=art.title, source=art.source, url=art.url,
                    published=art.published.value if art.published else None,
                    published_inferred=bool(art.published and art.published.inferred),
                    quote=art.text[start:end], start=start, end=end, title_inferred=art.title_inferred,
                    published_evidence=art.published.evidence if art.published else None)
