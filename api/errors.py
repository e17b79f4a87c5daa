"""The one error shape: {"detail": "one readable line"} (OpenAI's {"error": {...}} under /v1, so
its client shows the message), declared in the OpenAPI document for every status a route can
send (api/openapi.py). Never a traceback to the client; a server error is logged once, with its
request id."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from qa.errors import BylineError, EmbeddingUnavailable, GeneratorUnavailable

log = logging.getLogger("byline")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx outside /v1."""
    detail: str = Field(description="What went wrong, in one line.")


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str = Field(description="'invalid_request_error', 'authentication_error' or 'server_error'.")
    code: int | None = None


class OpenAIErrorBody(BaseModel):
    """Every 4xx and 5xx under /v1, in OpenAI's shape."""
    error: OpenAIErrorDetail


class OpenAIError(Exception):
    """An error of the OpenAI-compatible endpoint, in OpenAI's shape."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        self.status, self.message, self.kind = status, message, kind


def error_content(path: str, status: int, message: str) -> dict[str, Any]:
    if path.startswith("/v1/"):
        kind = ("authentication_error" if status in (401, 403) else
                "server_error" if status >= 500 else "invalid_request_error")
        return {"error": {"message": message, "type": kind, "code": status}}
    return {"detail": message}


def too_large(limit: int | None, length: int | None = None) -> str:
    said = f"{length} bytes" if length is not None else "more than that"
    return f"request body too large: {said} (limit {limit} bytes)" if limit else "request body too large"


def error_response(request: Request, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_content(request.url.path, status, message), headers=headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        problems.append(f"{where}: {msg}" if where else msg)
    return error_response(request, 422 if not request.url.path.startswith("/v1/") else 400, "; ".join(problems))


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = str(exc.detail)
    if exc.status_code == 413 and detail == "Content Too Large":  # Starlette's body limit: say the cap
        detail = too_large(request.scope.get(MAX_BODY_SIZE_SCOPE_KEY))
    return error_response(request, exc.status_code, detail, getattr(exc, "headers", None))


async def openai_error(request: Request, exc: OpenAIError) -> JSONResponse:
    return error_response(request, exc.status, exc.message)


async def generator_unavailable(request: Request, exc: GeneratorUnavailable) -> JSONResponse:
    return error_response(request, 503, f"the answer generator is unavailable: {exc}")


async def embedding_unavailable(request: Request, exc: EmbeddingUnavailable) -> JSONResponse:
    return error_response(request, 503, f"articles can't be embedded here: {exc}")


async def byline_error(request: Request, exc: BylineError) -> JSONResponse:
    """Any other error of Byline's own family: something the caller can act on, said in one line."""
    return error_response(request, 422, str(exc))


INVALID_UNICODE = "the request holds text that is not valid Unicode (an unpaired surrogate escape such as \\ud83d)"


async def invalid_unicode(request: Request, exc: UnicodeEncodeError) -> JSONResponse:
    """JSON may escape half a surrogate pair ("\\ud83d" alone): valid JSON, not valid text, and
    refused by SQLite and the models. It is the client's text that is wrong, so a 422."""
    if exc.reason != "surrogates not allowed":
        raise exc
    return error_response(request, 400 if request.url.path.startswith("/v1/") else 422, INVALID_UNICODE)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The request middleware (api/observe.py) answers server errors itself; this is the last resort.
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, "internal error: see the server log")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OpenAIError, openai_error)
    app.add_exception_handler(GeneratorUnavailable, generator_unavailable)
    app.add_exception_handler(EmbeddingUnavailable, embedding_unavailable)
    app.add_exception_handler(BylineError, byline_error)
    app.add_exception_handler(UnicodeEncodeError, invalid_unicode)
    app.add_exception_handler(Exception, unexpected)
