"""API keys: when BYLINE_API_KEYS is set, writes (and, if configured, reads) need
'Authorization: Bearer KEY'. Keys are kept and compared as SHA-256 digests, in constant time."""
from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class KeyCheck:
    def __init__(self, keys: list[str], protect_reads: bool):
        self._digests = [digest(k) for k in keys]
        self.protect_reads = protect_reads and bool(self._digests)

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def valid(self, key: str) -> bool:
        given = digest(key)
        ok = False
        for d in self._digests:  # no early exit: every key costs the same
            ok |= hmac.compare_digest(given, d)
        return ok

    def check(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            raise HTTPException(401, "this needs an API key: send the header 'Authorization: Bearer KEY'",
                                headers={"WWW-Authenticate": "Bearer"})
        if scheme.lower() != "bearer" or not key.strip():
            raise HTTPException(401, "the Authorization header must be 'Bearer KEY'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not self.valid(key.strip()):
            raise HTTPException(403, "that API key is not valid")


def require_write(request: Request) -> None:
    keys: KeyCheck = request.app.state.keys
    if keys.enabled:
        keys.check(request)


def require_read(request: Request) -> None:
    keys: KeyCheck = request.app.state.keys
    if keys.protect_reads:
        keys.check(request)
