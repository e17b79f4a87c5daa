"""Typed values that flow through the pipeline: Article → Passage → Citation/Answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, computed_field, model_validator

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
    title_evidence: str | None = Field(None, description="How the title was found: 'metadata', "
                                       "'headline line', 'made from the first sentence', 'corrected by hand'.")
    source: str | None = None
    source_evidence: str | None = Field(None, description="The text the source was read from (metadata, "
                                        "a credit line, a dateline), or 'corrected by hand'.")
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
    title_inferred: bool = Field(False, description="The title was made from the article's first sentence.")
    published_evidence: str | None = Field(None, description="The text the date was stated or inferred from.")


class OtherPassage(BaseModel):
    """A passage retrieved for the question but not cited, so a reader can check what else was read."""
    doc_id: str
    title: str
    source: str | None
    published: str | None
    published_inferred: bool
    start: int = Field(description="Code-point offsets of the passage in its article's text.")
    end: int
    text: str = Field(description="The passage, cut to about 300 characters.")


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
    other_passages: list[OtherPassage] = Field(default_factory=list, description="The other passages "
                                               "retrieved (at most 4), best first.")

    @computed_field(description="True when the answer is drawn from an article whose publication date "
                                "is unknown: say 'date unknown' beside it.")
    @property
    def date_unknown(self) -> bool:
        return not self.abstained and any(c.published is None for c in self.citations)


def _iso_day(value: object) -> object:
    """A day as YYYY-MM-DD only: not a timestamp (0, "0") nor a datetime, which pydantic's lax
    mode would read as some date."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    if not isinstance(value, (str, date)):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


# A date a request gives (as_of, a publication range).
IsoDate = Annotated[date, BeforeValidator(_iso_day)]


class Filters(BaseModel):
    published_from: IsoDate | None = None
    published_to: IsoDate | None = None
    include_undated: bool = Field(False, strict=True, description="With a publication range, also read articles "
                                  "whose date is unknown (left out by default).")
    sources: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)
    doc_ids: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _range_in_order(self) -> "Filters":
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise ValueError(f"the publication range is reversed: published_from {self.published_from} "
                             f"is after published_to {self.published_to}")
        return self


@dataclass(frozen=True)
class Query:
    """A question as asked, with what it is asked against: the conversation before it, the day
    it is asked as of (articles known to be published later are not read), which articles may
    answer, and how many passages to read (None: BYLINE_TOP_K). One object through every stage
    and layer, so a new field is added once."""

    question: str
    history: list[Turn] = field(default_factory=list)
    as_of: date | None = None
    filters: Filters | None = None
    top_k: int | None = None

    def problem(self) -> str | None:
        """Why it can't be asked (as_of_problem), or None."""
        return as_of_problem(self.as_of, self.filters)


def as_of_problem(as_of: date | None, filters: Filters | None) -> str | None:
    """Why an as-of date can't go with the filters (it is before the publication range, which
    leaves no article to read), or None."""
    if as_of and filters and filters.published_from and as_of < filters.published_from:
        return (f"as_of {as_of} is before published_from {filters.published_from}: "
                "no article in that range was published by then")
    return None


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
