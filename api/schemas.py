"""Request and response bodies of the HTTP API."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator

from qa.types import Answer, Article, Filters, PublishedDate, Turn


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("the question is empty")
    return v


class AskOptions(BaseModel):
    as_of: date | None = None
    filters: Filters | None = None
    top_k: int = Field(5, ge=1, le=20)


class AskRequest(AskOptions):
    question: str = Field(min_length=1, max_length=2000)
    history: list[Turn] = Field(default_factory=list, max_length=50)

    _question = field_validator("question")(_not_blank)


class MessageIn(AskOptions):
    content: str = Field(min_length=1, max_length=2000, description="The question.")

    _content = field_validator("content")(_not_blank)


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
    source: str | None
    url: str | None
    published: PublishedDate | None
    chars: int


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[DocumentSummary]


class IngestResult(BaseModel):
    added: list[str]
    replaced: list[str]
    unchanged: list[str]
    passages: int


def summary(a: Article) -> DocumentSummary:
    return DocumentSummary(id=a.id, title=a.title, title_inferred=a.title_inferred, source=a.source,
                           url=a.url, published=a.published, chars=len(a.text))
