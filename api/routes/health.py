"""Liveness and readiness."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from qa.archive import Archive

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="The index is built: article and passage counts, the generator",
            responses={503: {"description": "still starting"}})
def readyz(request: Request) -> JSONResponse:
    if not request.app.state.ready.is_set():
        return JSONResponse(status_code=503, content={"status": "starting", "ready": False})
    a: Archive = request.app.state.byline["archive"]
    return JSONResponse({"status": "ready", "ready": True, "articles": a.store.count_articles(),
                         "passages": a.store.count_passages(), "generator": a.generator})
