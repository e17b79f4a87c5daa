"""The HTTP API: a thin layer over qa.Archive. create_app builds it: startup (the archive, the
conversation store, the seeds, the generator), middleware (the request id, logs and metrics; the
body cap; CORS), error handlers, the OpenAPI document, routers, the chat page."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api import errors, openapi
from api.auth import KeyCheck
from api.limits import BodyLimit
from api.observe import Metrics, RequestContext
from api.routes import ask, conversations, documents, health, openai
from qa.archive import Archive
from qa.conversations import ConversationStore
from qa.errors import GeneratorUnavailable
from qa.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("byline")


def empty_archive_warning(settings: Settings) -> str:
    seeds = Path(settings.seeds_dir)
    why = f"seeds folder {seeds} not found" if not seeds.is_dir() else f"seeds folder {seeds} has no articles"
    return (f"the archive is empty: no articles in {settings.data_dir}; {why} — "
            "add articles with byline ingest or POST /documents")


def create_app(settings: Settings | None = None, archive: Archive | None = None) -> FastAPI:
    settings = settings or get_settings()
    state: dict[str, Any] = {"archive": archive, "conversations": None}
    ready = threading.Event()

    def start() -> None:
        took: dict[str, float] = {}  # seconds each step of the start took, logged when ready

        @contextmanager
        def timed(step: str):
            t = time.perf_counter()
            yield
            took[step] = time.perf_counter() - t

        if state["archive"] is None:
            state["archive"] = Archive(settings)
            took.update(state["archive"].load_seconds)  # the embedder, the store, the asker
        with timed("conversations"):
            state["conversations"] = ConversationStore(Path(settings.data_dir) / "conversations.sqlite")
        with timed("seeds"):
            state["archive"].ensure_seeded(progress=True)
            if state["archive"].store.count_articles() == 0:
                log.warning(empty_archive_warning(settings))
        with timed("generator"):
            try:
                state["archive"].load_generator()  # a model loads at start, not on the first question
            except GeneratorUnavailable as exc:
                log.error("generator %s unavailable: %s", settings.generator, exc)
        ready.set()
        log.info("ready: %s", ", ".join(f"{k} {v:.2f} s" for k, v in took.items()),
                 extra={"start_seconds": {k: round(v, 3) for k, v in took.items()}})
        # Questions need only ONNX Runtime's encoder; what passages are encoded with loads after
        # the start, so that the server answers sooner and the first upload does not wait for it.
        threading.Thread(target=state["archive"].embedder.warm, name="byline-warm", daemon=True).start()

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
    app.state.settings = settings
    app.state.keys = KeyCheck(settings.api_keys, settings.protect_reads)
    app.state.metrics = metrics = Metrics()
    metrics.articles.set_function(lambda: _count(app, "count_articles"))
    metrics.passages.set_function(lambda: _count(app, "count_passages"))
    metrics.info.labels(version=app.version, generator=settings.generator).set(1)
    # Added innermost first: CORS, then the body cap, then the request context around them all.
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID"])
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(RequestContext, metrics=metrics)
    errors.install(app)
    app.openapi = lambda: openapi.document(app)
    for module in (health, ask, documents, conversations, openai):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _count(app: FastAPI, what: str) -> float:
    """The store's size for /metrics; nothing while starting."""
    archive = app.state.byline["archive"]
    return float(getattr(archive.store, what)()) if app.state.ready.is_set() and archive is not None else 0.0
