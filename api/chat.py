"""Chat: streamed answers (server-sent events) and conversations kept across restarts."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.auth import require_read
from api.deps import ArchiveDep, ConversationsDep
from api.schemas import AskRequest, ConversationAnswer, ConversationIn, MessageIn
from qa.conversations import Conversation, ConversationStore, ConversationSummary
from qa.generate.chat_models import GeneratorUnavailable
from qa.types import Answer, AskEvent, Done, Turn

log = logging.getLogger("byline")
router = APIRouter(dependencies=[Depends(require_read)])


def answer_events(events: Iterator[AskEvent], on_done=None) -> Iterator[ServerSentEvent]:
    """The archive's events as SSE; a failure midway becomes an 'error' event, never a cut stream."""
    try:
        for event in events:
            if isinstance(event, Done):
                extra = on_done(event.answer) if on_done else {}
                yield ServerSentEvent(event=event.event, data={**event.data(), **extra})
            else:
                yield ServerSentEvent(event=event.event, data=event.data())
    except GeneratorUnavailable as exc:
        yield ServerSentEvent(event="error", data={"detail": f"the answer generator is unavailable: {exc}"})
    except Exception:
        log.exception("error while streaming an answer")
        yield ServerSentEvent(event="error", data={"detail": "the answer failed: see the server log"})


@router.post("/ask/stream", response_class=EventSourceResponse,
             summary="Ask, with the answer streamed as server-sent events",
             description="Events: 'question' (the standalone question), 'citations', 'answer' "
                         "(pieces of the answer text), then 'done' (the full /ask object, with every "
                         "citation) or 'error'.")
def ask_stream(body: AskRequest, archive: ArchiveDep) -> Iterator[ServerSentEvent]:
    yield from answer_events(archive.ask_events(body.question, body.history, body.as_of, body.filters, body.top_k))


@router.post("/conversations", response_model=ConversationSummary, status_code=201)
def create_conversation(conversations: ConversationsDep, body: ConversationIn | None = None) -> ConversationSummary:
    return conversations.create(body.title if body else None)


@router.get("/conversations")
def list_conversations(conversations: ConversationsDep, offset: int = Query(0, ge=0),
                       limit: int = Query(50, ge=1, le=500)) -> dict:
    items, total = conversations.list(offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "items": [i.model_dump() for i in items]}


def _conversation(conversations: ConversationStore, cid: str) -> Conversation:
    conv = conversations.get(cid)
    if conv is None:
        raise HTTPException(404, f"no conversation with id {cid!r}")
    return conv


@router.get("/conversations/{cid}", response_model=Conversation)
def get_conversation(cid: str, conversations: ConversationsDep) -> Conversation:
    return _conversation(conversations, cid)


@router.delete("/conversations/{cid}")
def delete_conversation(cid: str, conversations: ConversationsDep) -> dict:
    if not conversations.delete(cid):
        raise HTTPException(404, f"no conversation with id {cid!r}")
    return {"deleted": cid}


@router.post("/conversations/{cid}/messages", response_model=ConversationAnswer)
def post_message(cid: str, body: MessageIn, archive: ArchiveDep,
                 conversations: ConversationsDep) -> ConversationAnswer:
    """Ask within a conversation: its earlier turns are the history for follow-ups, and the
    question and its answer are stored."""
    history = _history(conversations, cid)
    answer = archive.ask(body.content, history, body.as_of, body.filters, body.top_k)
    _, reply = conversations.add_exchange(cid, body.content, answer)
    return ConversationAnswer(**answer.model_dump(), conversation_id=cid, message_id=reply.id)


@router.post("/conversations/{cid}/messages/stream", response_class=EventSourceResponse,
             summary="Ask within a conversation, streamed (events as /ask/stream)")
def post_message_stream(cid: str, body: MessageIn, archive: ArchiveDep,
                        conversations: ConversationsDep) -> Iterator[ServerSentEvent]:
    history = _history(conversations, cid)

    def store(answer: Answer) -> dict:
        _, reply = conversations.add_exchange(cid, body.content, answer)
        return {"conversation_id": cid, "message_id": reply.id}

    yield from answer_events(archive.ask_events(body.content, history, body.as_of, body.filters, body.top_k),
                             on_done=store)


def _history(conversations: ConversationStore, cid: str) -> list[Turn]:
    return [Turn(role=m.role, content=m.content) for m in _conversation(conversations, cid).items]
