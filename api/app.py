"""The HTTP API: a thin layer over qa.Archive."""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import chat, openai_compat
from api.auth import KeyCheck, require_read, require_write
from api.deps import ArchiveDep
from api.schemas import AskRequest, DocumentIn, DocumentList, IngestResult, summary
from qa.archive import Archive
from qa.ingest.readers import SUPPORTED, ArticleError, Draft, from_bytes, from_record
from qa.conversations import ConversationStore
from qa.generate.chat_models import GeneratorUnavailable
from qa.types import Answer, Article
from qa.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, archive: Archive | None = None) -> FastAPI:
    settings = settings or get_settings()
    state: dict[str, Any] = {"archive": archive, "conversations": None}
    ready = threading.Event()
    write_lock = threading.Lock()

    def start() -> None:
        if state["archive"] is None:
            state["archive"] = Archive(settings)
        state["conversations"] = ConversationStore(Path(settings.data_dir) / "conversations.sqlite")
        state["archive"].ensure_seeded(progress=True)
        try:
            state["archive"].load_generator()  # a model loads at start, not on the first question
        except GeneratorUnavailable as exc:
            logging.getLogger("byline").error("generator %s unavailable: %s", settings.generator, exc)
        ready.set()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(start)
        yield
        if state["conversations"] is not None:
            state["conversations"].close()
        if archive is None and state["archive"] is not None:
            state["archive"].close()

    app = FastAPI(title="Byline", version="0.1.0", lifespan=lifespan,
                  description="Questions over news articles, answered with citations.")

    app.state.byline = state
    app.state.ready = ready
    app.state.keys = KeyCheck(settings.api_keys, settings.protect_reads)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])

    def error(request: Request, status: int, message: str, headers: dict | None = None) -> JSONResponse:
        """One readable line; in OpenAI's shape under /v1, so its client shows the message."""
        if request.url.path.startswith("/v1/"):
            kind = "authentication_error" if status in (401, 403) else "invalid_request_error"
            return JSONResponse(status_code=status, headers=headers,
                                content={"error": {"message": message, "type": kind, "code": status}})
        return JSONResponse(status_code=status, content={"detail": message}, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            msg = err.get("msg", "invalid").removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        return error(request, 422 if not request.url.path.startswith("/v1/") else 400, "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(openai_compat.OpenAIError)
    async def openai_error(request: Request, exc: openai_compat.OpenAIError) -> JSONResponse:
        return error(request, exc.status, exc.message)

    @app.exception_handler(GeneratorUnavailable)
    async def generator_unavailable(request: Request, exc: GeneratorUnavailable) -> JSONResponse:
        return error(request, 503, f"the answer generator is unavailable: {exc}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a traceback to the client; the server log has it.
        import logging

        logging.getLogger("byline").exception("unhandled error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error: see the server log"})

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        if not ready.is_set():
            return JSONResponse(status_code=503, content={"status": "starting"})
        a: Archive = state["archive"]
        return JSONResponse({"status": "ready", "articles": a.store.count_articles(),
                             "passages": a.store.count_passages(), "generator": a.generator})

    @app.post("/ask", response_model=Answer, dependencies=[Depends(require_read)])
    def ask(body: AskRequest, archive: ArchiveDep) -> Answer:
        return archive.ask(body.question, body.history, body.as_of, body.filters, body.top_k)

    @app.get("/documents", response_model=DocumentList, dependencies=[Depends(require_read)])
    def list_documents(archive: ArchiveDep, offset: int = Query(0, ge=0),
                       limit: int = Query(50, ge=1, le=500)) -> DocumentList:
        items, total = archive.list(offset, limit)
        return DocumentList(total=total, offset=offset, limit=limit, items=[summary(a) for a in items])

    @app.get("/documents/{doc_id}", response_model=Article, dependencies=[Depends(require_read)])
    def get_document(doc_id: str, archive: ArchiveDep) -> Article:
        article = archive.get(doc_id)
        if article is None:
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return article

    @app.delete("/documents/{doc_id}", dependencies=[Depends(require_write)])
    def delete_document(doc_id: str, archive: ArchiveDep) -> dict:
        with write_lock:
            if not archive.delete(doc_id):
                raise HTTPException(404, f"no document with id {doc_id!r}")
        return {"deleted": doc_id}

    def ingest(archive: Archive, drafts: list[Draft]) -> IngestResult:
        with write_lock:
            report = archive.ingest_drafts(drafts)
        if report.failed:
            raise HTTPException(422, "; ".join(report.failed))
        return IngestResult(added=report.added, replaced=report.replaced,
                            unchanged=report.unchanged, passages=report.passages)

    @app.post("/documents", response_model=IngestResult, status_code=201, dependencies=[Depends(require_write)])
    async def add_documents(request: Request, archive: ArchiveDep) -> IngestResult:
        """JSON ({id, text, title?, source?, url?, published?}) or a multipart upload of files
        (.txt, .md, .html, .jsonl) in the field 'files'."""
        length = int(request.headers.get("content-length") or 0)
        if length > settings.max_upload_bytes:
            raise HTTPException(413, f"upload too large: {length} bytes (limit {settings.max_upload_bytes})")
        ctype = request.headers.get("content-type", "")
        drafts: list[Draft] = []
        try:
            if ctype.startswith("application/json"):
                body = await request.body()
                if len(body) > settings.max_upload_bytes:
                    raise HTTPException(413, f"upload too large (limit {settings.max_upload_bytes} bytes)")
                try:
                    payload = DocumentIn.model_validate_json(body)
                except ValidationError as exc:
                    problems = "; ".join(
                        f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
                    raise HTTPException(422, f"bad document: {problems}") from None
                drafts.append(from_record(payload.model_dump(), "document"))
            elif ctype.startswith("multipart/form-data"):
                form = await request.form()
                files = [f for f in form.getlist("files") + form.getlist("file") if hasattr(f, "read")]
                if not files:
                    raise HTTPException(422, "no file in the upload: send them in the field 'files'")
                for f in files:
                    data = await f.read()
                    if len(data) > settings.max_upload_bytes:
                        raise HTTPException(413, f"{f.filename}: too large (limit {settings.max_upload_bytes} bytes)")
                    name = f.filename or "upload.txt"
                    if not name.lower().endswith(SUPPORTED):
                        raise HTTPException(415, f"{name}: unsupported file type (use {', '.join(SUPPORTED)})")
                    drafts.extend(from_bytes(name, data))
            else:
                raise HTTPException(415, "send application/json or multipart/form-data")
        except ArticleError as exc:
            raise HTTPException(422, str(exc)) from None
        return await run_in_threadpool(ingest, archive, drafts)

    app.include_router(chat.router)
    app.include_router(openai_compat.router)

    @app.get("/", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
