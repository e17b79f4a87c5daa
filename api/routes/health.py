"""Liveness, readiness, the version, and the metrics."""
from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version as package_version

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ArchiveDep, ReadAccess
from api.schemas import Stats
from qa.archive import Archive

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="The index is built: article and passage counts, the generator",
            responses={503: {"description": "Still starting: the index is being built."}})
def readyz(request: Request) -> JSONResponse:
    if not request.app.state.ready.is_set():
        return JSONResponse(status_code=503, content={"status": "starting", "ready": False,
                                                      "detail": "the index is still being built"})
    a: Archive = request.app.state.byline["archive"]
    return JSONResponse({"status": "ready", "ready": True, "articles": a.store.count_articles(),
                         "passages": a.store.count_passages(), "generator": a.generator})


@router.get("/stats", response_model=Stats, dependencies=[ReadAccess],
            summary="What the archive holds: articles, sources, dates, example questions")
def stats(request: Request, archive: ArchiveDep) -> Stats:
    keys = request.app.state.keys
    needs = "all" if keys.protect_reads else "writes" if keys.enabled else "none"
    return Stats(**archive.overview().model_dump(), api_keys=needs)


@router.get("/version", summary="Byline's version, and Python's")
def version_info(request: Request) -> dict:
    try:
        byline = package_version("byline")
    except PackageNotFoundError:
        byline = request.app.version
    return {"name": "byline", "version": byline, "python": platform.python_version()}


@router.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "The Prometheus text format: requests by route and status, "
                             "latency by route and by stage of answering, answers and abstentions, ingest "
                             "counts, the store's size (the README lists them)."}})
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
