"""What the routes share, as Annotated dependencies: the archive and the conversation store once
the index is ready, the settings, the write lock, and the key checks."""
from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import KeyCheck, bearer
from qa.archive import Archive
from qa.conversations import ConversationStore
from qa.settings import Settings


def get_archive(request: Request) -> Archive:
    if not request.app.state.ready.is_set():
        raise HTTPException(503, "the index is still being built")
    return request.app.state.byline["archive"]


def get_conversations(request: Request) -> ConversationStore:
    if not request.app.state.ready.is_set():
        raise HTTPException(503, "the index is still being built")
    return request.app.state.byline["conversations"]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_write_lock(request: Request) -> threading.Lock:
    return request.app.state.write_lock


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def require_write(request: Request, credentials: Credentials) -> None:
    keys: KeyCheck = request.app.state.keys
    if keys.enabled:
        keys.check(request, credentials)


def require_read(request: Request, credentials: Credentials) -> None:
    keys: KeyCheck = request.app.state.keys
    if keys.protect_reads:
        keys.check(request, credentials)


ArchiveDep = Annotated[Archive, Depends(get_archive)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WriteLockDep = Annotated[threading.Lock, Depends(get_write_lock)]
ReadAccess = Depends(require_read)    # for `dependencies=[...]` of routes and routers
WriteAccess = Depends(require_write)
