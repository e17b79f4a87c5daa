"""What a running server tells about itself: a request id on every request (X-Request-ID, taken
from the client when it is sane), one JSON log line per request, a log line with the request id
for every server error (and no traceback for a client's), and Prometheus metrics (GET /metrics):
requests by route and status, latency by route and by pipeline stage, answers and abstentions,
ingest counts, and the store's size."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_content
from qa.types import Answer, AskEvent, Done

log = logging.getLogger("byline")
access = logging.getLogger("byline.access")

request_id: ContextVar[str] = ContextVar("request_id", default="-")
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STAGES = ("rewrite", "retrieve", "answer", "generate", "total")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (for the JSON formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """dictConfig for `byline serve`: JSON lines on stderr, for Byline's loggers and uvicorn's;
    uvicorn's own access lines are replaced by Byline's one line a request."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}},
        "handlers": {"json": handler},
        "loggers": {"byline": {"handlers": ["json"], "level": level, "propagate": False},
                    "uvicorn": {"handlers": ["json"], "level": level, "propagate": False},
                    "uvicorn.error": {"level": level},
                    "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
    }


class Metrics:
    """The app's Prometheus metrics, in a registry of its own (so two apps in one process don't
    share counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("byline_http_requests", "HTTP requests answered, by route template and status.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("byline_http_request_duration_seconds",
                                 "Time from a request's start to its last byte (a whole stream), by route.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.stage = Histogram("byline_ask_stage_duration_seconds",
                               "Time in each stage of answering: rewrite, retrieve, answer (extractive), "
                               "generate (a chat model), total.", ["stage"], buckets=LATENCY_BUCKETS, registry=r)
        self.answers = Counter("byline_answers", "Answers given, by whether they abstained.",
                               ["abstained"], registry=r)
        self.abstention = Gauge("byline_abstention_rate", "Share of the answers since start that abstained.",
                                registry=r)
        self.abstention.set_function(self._abstention_rate)
        self.ingested = Counter("byline_ingested_articles", "Articles sent to the store, by outcome: added, "
                                "replaced, unchanged, failed.", ["outcome"], registry=r)
        self.ingested_passages = Counter("byline_ingested_passages", "Passages embedded and stored.", registry=r)
        self.deleted = Counter("byline_deleted_articles", "Articles deleted.", registry=r)
        self.articles = Gauge("byline_store_articles", "Articles in the store.", registry=r)
        self.passages = Gauge("byline_store_passages", "Passages in the store.", registry=r)
        self.info = Gauge("byline_info", "1, labelled with the version and the generator.",
                          ["version", "generator"], registry=r)
        self.server_errors = Counter("byline_server_errors", "Requests that failed with a server error.",
                                     registry=r)

    def _abstention_rate(self) -> float:
        counts = {s.labels["abstained"]: s.value for m in self.answers.collect() for s in m.samples
                  if s.name.endswith("_total")}
        total = sum(counts.values())
        return counts.get("true", 0.0) / total if total else 0.0

    def observe_answer(self, answer: Answer) -> None:
        self.answers.labels(abstained="true" if answer.abstained else "false").inc()
        for stage, ms in answer.timings_ms.items():
            if stage in STAGES:
                self.stage.labels(stage=stage).observe(ms / 1000)


class Observed:
    """The archive as the routes see it: every call goes through, and answers, ingests and
    deletes are counted on the way (qa/ stays free of the API's metrics)."""

    def __init__(self, archive: Any, metrics: Metrics):
        self._archive = archive
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._archive, name)

    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        answer = self._archive.ask(*args, **kwargs)
        self._metrics.observe_answer(answer)
        return answer

    def ask_events(self, *args: Any, **kwargs: Any) -> Iterator[AskEvent]:
        for event in self._archive.ask_events(*args, **kwargs):
            if isinstance(event, Done):
                self._metrics.observe_answer(event.answer)
            yield event

    def ingest_drafts(self, *args: Any, **kwargs: Any) -> Any:
        report = self._archive.ingest_drafts(*args, **kwargs)
        for outcome in ("added", "replaced", "unchanged", "failed"):
            if getattr(report, outcome):
                self._metrics.ingested.labels(outcome=outcome).inc(len(getattr(report, outcome)))
        self._metrics.ingested_passages.inc(report.passages)
        return report

    def delete(self, doc_id: str) -> bool:
        deleted = self._archive.delete(doc_id)
        if deleted:
            self._metrics.deleted.inc()
        return deleted


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"  # a template: fuzzed paths can't explode the labels


class RequestContext:
    """ASGI middleware, outermost of Byline's: the request id, the access line, the request
    metrics, and the answer to any exception a route let through (500, logged once with its id)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        rid = given if SANE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            self.metrics.server_errors.inc()
            log.exception("server error on %s %s", scope["method"], scope["path"])
            if not response_started:
                body = json.dumps(error_content(scope["path"], 500,
                                                f"internal error: see the server log (request id {rid})")).encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()), (b"x-request-id", rid.encode())]})
                await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope)
            self.metrics.requests.labels(method=scope["method"], route=route, status=str(status)).inc()
            self.metrics.latency.labels(method=scope["method"], route=route).observe(elapsed)
            access.info("%s %s %s", scope["method"], scope["path"], status, extra={
                "request_id": rid, "method": scope["method"], "path": scope["path"], "route": route,
                "status": status, "duration_ms": round(elapsed * 1000, 1),
                "client": (scope.get("client") or ("-",))[0]})
            request_id.reset(token)
