"""API keys: when BYLINE_API_KEYS is set, writes and conversations (and, if configured, every
read) need 'Authorization: Bearer KEY'; a conversation belongs to the key that made it. Keys are
kept and compared as SHA-256 digests, in constant time. The scheme is FastAPI's HTTPBearer, so
the OpenAPI document declares it (/docs: Authorize)."""
from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# auto_error=False: the check below says what is wrong (401 without a key, 403 with a wrong one).
bearer = HTTPBearer(auto_error=False, scheme_name="APIKey",
                    description="An API key from BYLINE_API_KEYS, sent as 'Authorization: Bearer KEY'. "
                                "When keys are set, needed to add and delete documents and for "
                                "conversations (each belongs to the key that made it); for every read "
                                "too with BYLINE_PROTECT_READS.")


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def owner_of(key: str) -> str:
    """What a conversation stores of the key that made it: a digest, never the key."""
    return hashlib.sha256(b"byline-conversation-owner:" + key.encode("utf-8")).hexdigest()


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

    def check(self, request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
        if credentials is None or not credentials.credentials.strip():
            if not request.headers.get("authorization"):
                raise HTTPException(401, "this needs an API key: send the header 'Authorization: Bearer KEY'",
                                    headers={"WWW-Authenticate": "Bearer"})
            raise HTTPException(401, "the Authorization header must be 'Bearer KEY'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not self.valid(credentials.credentials.strip()):
            raise HTTPException(403, "that API key is not valid")
