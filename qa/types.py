"""Typed values that flow through the pipeline: Article → Passage → Citation/Answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Precision = Literal["day", "month", "year"]


class PublishedDate(BaseModel):
    """When an article was published, as far as its own text or metadata tells."""

    value: str = Field(description="ISO date at its precision: 2025-02-07, 2025-02 or 2025.")
    precision: Precision
    inferred: bool = Field(description="True when read off the article's text, not stated.")
    evidence: str | None = Field(None, description="The text the date was stated or inferred from.")
    start: date
    end: date


class Article(BaseModel):
    id: str
    title: str
    title_inferred: bool = False
    source: str | None = None
    url: str | None = None
    published: PublishedDate | None = None
    text: str


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str = ""


@dataclass
class Passage:
    """A chunk of an article's text. Offsets are code-point indices into Article.text."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    sentences: list[Span] = field(default_factory=list)
    entities: list[Span] = field(default_factory=list)


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class Citation(BaseModel):
    n: int
    doc_id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    published_inferred: bool
    quote: str
    start: int
    end: int


class Answer(BaseModel):
    answer: str
    abstained: bool
    confidence: float
    standalone_question: str
    citations: list[Citation]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    generator: str = Field("extractive", description="What wrote the answer: 'extractive', or the "
                           "generator and model, e.g. 'llm-local:qwen2.5-coder-1.5b'.")
    dropped: int = Field(0, description="Generated sentences left out because the passage they "
                         "cite does not support them.")


class Filters(BaseModel):
    published_from: date | None = None
    published_to: date | None = None
    sources: list[str] = Field(default_factory=list, max_length=50)
    doc_ids: list[str] = Field(default_factory=list, max_length=1000)


# --- what asking yields, in order: the standalone question, citations and pieces of the
# answer text (interleaved), then Done with the whole answer. `event` names the SSE event.
@dataclass(frozen=True)
class StandaloneQuestion:
    text: str
    event = "question"

    def data(self) -> dict:
        return {"standalone_question": self.text}


@dataclass(frozen=True)
class CitationsFound:
    citations: list[Citation]  # all citations so far
    event = "citations"

    def data(self) -> list[dict]:
        return [c.model_dump() for c in self.citations]


@dataclass(frozen=True)
class AnswerText:
    text: str  # the next piece of the answer
    event = "answer"

    def data(self) -> dict:
        return {"text": self.text}


@dataclass(frozen=True)
class Done:
    answer: Answer
    event = "done"

    def data(self) -> dict:
        return self.answer.model_dump()


AskEvent = StandaloneQuestion | CitationsFound | AnswerText | Done
