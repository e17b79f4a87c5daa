"""What the routes share: the archive and the conversation store, once the index is ready."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from qa.archive import Archive
from qa.conversations import ConversationStore


def get_archive(request: Request) -> Archive:
    if not request.app.state.ready.is_set():
        raise HTTPException(503, "the index is still being built")
    return request.app.state.byline["archive"]


def get_conversations(request: Request) -> ConversationStore:
    if not request.app.state.ready.is_set():
        raise HTTPException(503, "the index is still being built")
    return request.app.state.byline["conversations"]


ArchiveDep = Annotated[Archive, Depends(get_archive)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
