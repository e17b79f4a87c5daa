"""An OpenAI-compatible chat endpoint, so the official `openai` client (or a tool such as Open
WebUI) can talk to Byline unchanged. The answer text keeps its [n] markers; the citations ride
in an extra top-level field, `citations`, of the response and of the last streamed chunk."""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse

from api.deps import ArchiveDep, ReadAccess
from api.errors import OpenAIError
from api.schemas import MODEL_ID, ChatMessage, ChatRequest
from qa.archive import Archive
from qa.errors import GeneratorUnavailable
from qa.types import Answer, AnswerText, Done, Query, Turn

router = APIRouter(prefix="/v1", dependencies=[ReadAccess], tags=["OpenAI-compatible"])


def split(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; the user/assistant turns before it its history."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise OpenAIError(400, "messages: there is no user message to answer")
    question = messages[last].text().strip()
    if not question:
        raise OpenAIError(400, "messages: the last user message is empty")
    if len(question) > 2000:
        raise OpenAIError(400, "messages: the question is longer than 2000 characters")
    history = [Turn(role=m.role, content=m.text()) for m in messages[:last] if m.role in ("user", "assistant")]
    return question, history


def _extra(answer: Answer) -> dict:
    return {"citations": [c.model_dump() for c in answer.citations],
            "byline": {"standalone_question": answer.standalone_question, "abstained": answer.abstained,
                       "confidence": answer.confidence, "timings_ms": answer.timings_ms,
                       "generator": answer.generator, "dropped": answer.dropped}}


def _usage(question: str, history: list[Turn], answer: str) -> dict:
    # Words, not model tokens: there is no tokenizer in the extractive answerer.
    prompt = len(question.split()) + sum(len(t.content.split()) for t in history)
    completion = len(answer.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@router.get("/models")
def models() -> dict:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "byline"}]}


@router.post("/chat/completions", response_model=None, responses={200: {
    "description": "A chat.completion object; with `stream: true`, chat.completion.chunk objects as "
                   "server-sent events, ending with `data: [DONE]`.",
    "content": {"application/json": {"schema": {"type": "object"}}, "text/event-stream": {
        "schema": {"description": "Each event's data: a chat.completion.chunk object, then the text [DONE]."}}}}})
def chat_completions(body: ChatRequest, archive: ArchiveDep):
    question, history = split(body.messages)
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not body.stream:
        answer = archive.ask(Query(question, history, body.as_of, body.filters, body.top_k))
        return {"id": cid, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": _usage(question, history, answer.answer), **_extra(answer)}
    return EventSourceResponse(_stream(archive, body, question, history, cid, created))


def _stream(archive: Archive, body: ChatRequest, question: str, history: list[Turn], cid: str,
            created: int) -> Iterator[bytes]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
        payload = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": body.model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(payload)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    try:
        for event in archive.ask_events(Query(question, history, body.as_of, body.filters, body.top_k)):
            if isinstance(event, AnswerText):
                yield chunk({"content": event.text})
            elif isinstance(event, Done):
                yield chunk({}, "stop", **_extra(event.answer))
    except GeneratorUnavailable as exc:
        err = {"error": {"message": f"the answer generator is unavailable: {exc}", "type": "server_error"}}
        yield f"data: {json.dumps(err)}\n\n".encode()
    except Exception:
        logging.getLogger("byline").exception("error while streaming a chat completion")
        err = {"error": {"message": "the answer failed: see the server log", "type": "server_error"}}
        yield f"data: {json.dumps(err)}\n\n".encode()
    yield b"data: [DONE]\n\n"
