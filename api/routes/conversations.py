"""Conversations kept across restarts: each message is answered with the stored turns as history."""
from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.deps import ArchiveDep, ConversationsDep, ReadAccess
from api.routes.ask import answer_events
from api.schemas import ConversationAnswer, ConversationIn, MessageIn
from qa.conversations import Conversation, ConversationStore, ConversationSummary
from qa.types import Answer, Turn

router = APIRouter(prefix="/conversations", dependencies=[ReadAccess], tags=["conversations"])


@router.post("", response_model=ConversationSummary, status_code=201)
def create_conversation(conversations: ConversationsDep, body: ConversationIn | None = None) -> ConversationSummary:
    return conversations.create(body.title if body else None)


@router.get("")
def list_conversations(conversations: ConversationsDep, offset: int = Query(0, ge=0),
                       limit: int = Query(50, ge=1, le=500)) -> dict:
    items, total = conversations.list(offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "items": [i.model_dump() for i in items]}


def _conversation(conversations: ConversationStore, cid: str) -> Conversation:
    conv = conversations.get(cid)
    if conv is None:
        raise HTTPException(404, f"no conversation with id {cid!r}")
    return conv


def _history(conversations: ConversationStore, cid: str) -> list[Turn]:
    return [Turn(role=m.role, content=m.content) for m in _conversation(conversations, cid).items]


@router.get("/{cid}", response_model=Conversation)
def get_conversation(cid: str, conversations: ConversationsDep) -> Conversation:
    return _conversation(conversations, cid)


@router.delete("/{cid}")
def delete_conversation(cid: str, conversations: ConversationsDep) -> dict:
    if not conversations.delete(cid):
        raise HTTPException(404, f"no conversation with id {cid!r}")
    return {"deleted": cid}


@router.post("/{cid}/messages", response_model=ConversationAnswer)
def post_message(cid: str, body: MessageIn, archive: ArchiveDep,
                 conversations: ConversationsDep) -> ConversationAnswer:
    """Ask within a conversation: its earlier turns are the history for follow-ups, and the
    question and its answer are stored."""
    history = _history(conversations, cid)
    answer = archive.ask(body.content, history, body.as_of, body.filters, body.top_k)
    _, reply = conversations.add_exchange(cid, body.content, answer)
    return ConversationAnswer(**answer.model_dump(), conversation_id=cid, message_id=reply.id)


@router.post("/{cid}/messages/stream", response_class=EventSourceResponse,
             summary="Ask within a conversation, streamed (events as /ask/stream)")
def post_message_stream(cid: str, body: MessageIn, archive: ArchiveDep,
                        conversations: ConversationsDep) -> Iterator[ServerSentEvent]:
    history = _history(conversations, cid)

    def store(answer: Answer) -> dict:
        _, reply = conversations.add_exchange(cid, body.content, answer)
        return {"conversation_id": cid, "message_id": reply.id}

    yield from answer_events(archive.ask_events(body.content, history, body.as_of, body.filters, body.top_k),
                             on_done=store)
