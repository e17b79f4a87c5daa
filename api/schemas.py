"""Request and response bodies of the HTTP API."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from qa.types import Answer, Article, Filters, PublishedDate, Turn


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("the question is empty")
    return v


class AskOptions(BaseModel):
    as_of: date | None = None
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=20, description="Passages to read; default: BYLINE_TOP_K.")


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
    return DocumentSummary(id=a.id, title=a.title, title_inferred=a.title_inferred, source=a.source,
                           url=a.url, published=a.published, chars=len(a.text))


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
    stream: bool = False
    # Byline's own options, sent by the openai client through extra_body.
    as_of: date | None = None
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=20, description="Passages to read; default: BYLINE_TOP_K.")

    model_config = {"extra": "ignore"}  # temperature, max_tokens...: nothing to set here
