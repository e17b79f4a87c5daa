"""What the routes share, as Annotated dependencies: the archive and the conversation store once
the index is ready, the settings, the key checks, and a conversation with its
owner checked (with keys set, a conversation belongs to the key that made it)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import KeyCheck, bearer, owner_of
from api.observe import Observed
from qa.archive import Archive
from qa.conversations import Conversation, ConversationStore
from qa.settings import Settings


def get_archive(request: Request) -> Archive:
    """The archive, once ready; answers, ingests and deletes through it are counted (/metrics)."""
    if not request.app.state.ready.is_set():
        raise HTTPException(503, "the index is still being built")
    return Observed(request.app.state.byline["archive"], request.app.state.metrics)  # type: ignore[return-value]


def get_conversations(request: Request) -> ConversationStore:
    if not request.app.state.ready.is_set():
        raise HTTPException(503, "the index is still being built")
    return request.app.state.byline["conversations"]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def require_write(request: Request, credentials: Credentials) -> None:
    keys: KeyCheck = request.app.state.keys
    if keys.enabled:
        keys.check(request, credentials)


def require_read(request: Request, credentials: Credentials) -> None:
    keys: KeyCheck = request.app.state.keys
    if keys.protect_reads:
        keys.check(request, credentials)


def conversation_owner(request: Request, credentials: Credentials) -> str | None:
    """Whose conversations these are: with keys set, a valid key is needed (401, 403) and names
    the owner; without keys, None (every conversation is everyone's)."""
    keys: KeyCheck = request.app.state.keys
    if not keys.enabled:
        return None
    keys.check(request, credentials)
    return owner_of(credentials.credentials.strip())


OwnerDep = Annotated[str | None, Depends(conversation_owner)]


def existing_conversation(cid: str, conversations: Annotated[ConversationStore, Depends(get_conversations)],
                          owner: OwnerDep) -> Conversation:
    """The conversation, found before any answer starts (a stream included): 404 when there is
    none, or when it is another key's."""
    conv = conversations.get(cid, owner)
    if conv is None:
        raise HTTPException(404, f"no conversation with id {cid!r}")
    return conv


ArchiveDep = Annotated[Archive, Depends(get_archive)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ReadAccess = Depends(require_read)    # for `dependencies=[...]` of routes and routers
WriteAccess = Depends(require_write)
ConversationDep = Annotated[Conversation, Depends(existing_conversation)]
