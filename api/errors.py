"""The one error shape: {"detail": "one readable line"} (OpenAI's {"error": {...}} under /v1, so
its client shows the message). Never a traceback to the client; the server log has it."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.errors import BylineError, GeneratorUnavailable

log = logging.getLogger("byline")


class OpenAIError(Exception):
    """An error of the OpenAI-compatible endpoint, in OpenAI's shape."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        self.status, self.message, self.kind = status, message, kind


def error_response(request: Request, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    if request.url.path.startswith("/v1/"):
        kind = "authentication_error" if status in (401, 403) else "invalid_request_error"
        return JSONResponse(status_code=status, headers=headers,
                            content={"error": {"message": message, "type": kind, "code": status}})
    return JSONResponse(status_code=status, content={"detail": message}, headers=headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        problems.append(f"{where}: {msg}" if where else msg)
    return error_response(request, 422 if not request.url.path.startswith("/v1/") else 400, "; ".join(problems))


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))


async def openai_error(request: Request, exc: OpenAIError) -> JSONResponse:
    return error_response(request, exc.status, exc.message)


async def generator_unavailable(request: Request, exc: GeneratorUnavailable) -> JSONResponse:
    return error_response(request, 503, f"the answer generator is unavailable: {exc}")


async def byline_error(request: Request, exc: BylineError) -> JSONResponse:
    """Any other error of Byline's own family: something the caller can act on, said in one line."""
    return error_response(request, 422, str(exc))


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return JSONResponse(status_code=500, content={"detail": "internal error: see the server log"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OpenAIError, openai_error)
    app.add_exception_handler(GeneratorUnavailable, generator_unavailable)
    app.add_exception_handler(BylineError, byline_error)
    app.add_exception_handler(Exception, unexpected)
