"""Request bodies are capped: BYLINE_MAX_BODY_BYTES for every route, BYLINE_MAX_UPLOAD_BYTES for
POST /documents. A declared Content-Length over the cap is refused here before a byte is read;
a body without one (chunked) is counted as it arrives by Starlette's RequestBodyLimit, which
stops it the moment it passes the cap. Either way the answer is 413 in the route's error shape
(api/errors.py), and nothing larger than the cap is held in memory."""
from __future__ import annotations

import json

from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_content, too_large

UPLOAD_PATHS = ("/documents",)


class BodyLimit:
    """ASGI middleware: the cap for a request is `upload_limit` on POST /documents, else `limit`."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    def cap(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].rstrip("/") in UPLOAD_PATHS:
            return max(self.upload_limit, self.limit)
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.cap(scope)
        length = _content_length(scope)
        if length is not None and length > limit:
            body = json.dumps(error_content(scope["path"], 413, too_large(limit, length))).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        # Starlette counts what arrives; past the cap, reading the body raises its 413
        # HTTPException, which the error handlers answer in the one shape.
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
