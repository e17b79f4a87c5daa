"""Conversations kept across restarts: each message is answered with the stored turns as history."""
from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.deps import ArchiveDep, ConversationDep, ConversationsDep, OwnerDep, ReadAccess
from api.routes.ask import answer_events
from api.schemas import MAX_OFFSET, ConversationAnswer, ConversationIn, MessageIn
from qa.conversations import Conversation, ConversationSummary
from qa.types import Answer, Turn

router = APIRouter(prefix="/conversations", dependencies=[ReadAccess], tags=["conversations"])


@router.post("", response_model=ConversationSummary, status_code=201)
def create_conversation(conversations: ConversationsDep, owner: OwnerDep,
                        body: ConversationIn | None = None) -> ConversationSummary:
    return conversations.create(body.title if body else None, owner)


@router.get("")
def list_conversations(conversations: ConversationsDep, owner: OwnerDep, offset: int = Query(0, ge=0, le=MAX_OFFSET),
                       limit: int = Query(50, ge=1, le=500)) -> dict:
    items, total = conversations.list(offset, limit, owner)
    return {"total": total, "offset": offset, "limit": limit, "items": [i.model_dump() for i in items]}


def _history(conv: Conversation) -> list[Turn]:
    return [Turn(role=m.role, content=m.content) for m in conv.items]


@router.get("/{cid}", response_model=Conversation)
def get_conversation(cid: str, conv: ConversationDep) -> Conversation:
    return conv


@router.delete("/{cid}")
def delete_conversation(cid: str, conversations: ConversationsDep, owner: OwnerDep) -> dict:
    if not conversations.delete(cid, owner):
        raise HTTPException(404, f"no conversation with id {cid!r}")
    return {"deleted": cid}


@router.post("/{cid}/messages", response_model=ConversationAnswer)
def post_message(cid: str, body: MessageIn, archive: ArchiveDep, conversations: ConversationsDep,
                 conv: ConversationDep) -> ConversationAnswer:
    """Ask within a conversation: its earlier turns are the history for follow-ups, and the
    question and its answer are stored."""
    history = _history(conv)
    answer = archive.ask(body.query(history))
    _, reply = conversations.add_exchange(cid, body.content, answer, body.as_of, body.filters)
    return ConversationAnswer(**answer.model_dump(), conversation_id=cid, message_id=reply.id)


@router.post("/{cid}/messages/stream", response_class=EventSourceResponse,
             summary="Ask within a conversation, streamed (events as /ask/stream)")
def post_message_stream(cid: str, body: MessageIn, archive: ArchiveDep, conversations: ConversationsDep,
                        conv: ConversationDep) -> Iterator[ServerSentEvent]:
    # The conversation is looked up (404) by a dependency, before the stream starts.
    history = _history(conv)

    def store(answer: Answer) -> dict:
        _, reply = conversations.add_exchange(cid, body.content, answer, body.as_of, body.filters)
        return {"conversation_id": cid, "message_id": reply.id}

    yield from answer_events(archive.ask_events(body.query(history)),
                             on_done=store)
