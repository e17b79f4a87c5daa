"""Request and response bodies of the HTTP API."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from qa.overview import Overview
from qa.types import Answer, Article, Filters, IsoDate, PublishedDate, Query, Turn, as_of_problem


# Offsets into a listing stop here: beyond it is no page of any real store, and an integer too
# large for SQLite would be a 500 rather than a 422.
MAX_OFFSET = 1_000_000_000


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("the question is empty")
    return v


def _as_of_in_range(body):
    problem = as_of_problem(body.as_of, body.filters)
    if problem:
        raise ValueError(problem)
    return body


class AskOptions(BaseModel):
    as_of: IsoDate | None = None
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=20, strict=True,  # strict: `true` is not 1
                              description="Passages to read; default: BYLINE_TOP_K.")

    _as_of = model_validator(mode="after")(_as_of_in_range)


class AskRequest(AskOptions):
    question: str = Field(min_length=1, max_length=2000)
    history: list[Turn] = Field(default_factory=list, max_length=50)

    _question = field_validator("question")(_not_blank)

    def query(self) -> Query:
        return Query(self.question, self.history, self.as_of, self.filters, self.top_k)


class MessageIn(AskOptions):
    content: str = Field(min_length=1, max_length=2000, description="The question.")

    _content = field_validator("content")(_not_blank)

    def query(self, history: list[Turn]) -> Query:
        """The message as a question, after the conversation's stored turns."""
        return Query(self.content, history, self.as_of, self.filters, self.top_k)


class ConversationIn(BaseModel):
    title: str | None = Field(None, max_length=200)


class ConversationAnswer(Answer):
    conversation_id: str
    message_id: int


class DocumentIn(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1)
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None


class DocumentSummary(BaseModel):
    id: str
    title: str
    title_inferred: bool
    title_evidence: str | None = None
    source: str | None
    source_evidence: str | None = None
    url: str | None
    published: PublishedDate | None
    chars: int


class Stats(Overview):
    api_keys: Literal["none", "writes", "all"] = Field(description="What needs an API key: nothing; "
                                                      "changes (documents, conversations); or every request.")


class DocumentPatch(BaseModel):
    """A correction by hand: only the fields given change (null clears source, url or published).
    The stored text never changes; a corrected value is recorded as stated, not inferred."""
    title: str | None = Field(None, max_length=300)
    source: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=2000)
    published: str | None = Field(None, max_length=40, description="YYYY-MM-DD, YYYY-MM or YYYY; null: unknown.",
                                  examples=["2025-03-14"])

    model_config = {"extra": "forbid"}


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[DocumentSummary]


class FileResult(BaseModel):
    """What became of (some of) the articles of one uploaded file: one entry per file and status."""
    file: str | None = Field(description="The uploaded file's name; null for a JSON document.")
    ids: list[str] = Field(description="Document ids; empty when the file itself could not be read.")
    status: Literal["added", "replaced", "unchanged", "refused"]
    reason: str | None = Field(None, description="Why, when refused.")


class IngestResult(BaseModel):
    added: list[str]
    replaced: list[str]
    unchanged: list[str]
    passages: int
    files: list[FileResult] = Field(default_factory=list, description="Per file: its ids and what became of them.")


def summary(a: Article) -> DocumentSummary:
    return DocumentSummary(id=a.id, title=a.title, title_inferred=a.title_inferred, title_evidence=a.title_evidence,
                           source=a.source, source_evidence=a.source_evidence, url=a.url, published=a.published,
                           chars=len(a.text))


# --- the OpenAI-compatible endpoint ----------------------------------------------------------

MODEL_ID = "byline"


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return " ".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = Field(False, strict=True)
    # Byline's own options, sent by the openai client through extra_body.
    as_of: IsoDate | None = None
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=20, strict=True,  # strict: `true` is not 1
                              description="Passages to read; default: BYLINE_TOP_K.")

    model_config = {"extra": "ignore"}  # temperature, max_tokens...: nothing to set here

    _as_of = model_validator(mode="after")(_as_of_in_range)
