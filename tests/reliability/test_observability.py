"""Observable in production: /metrics scraped in the Prometheus format, one JSON log line a
request with its id (X-Request-ID, the client's when sane), no traceback for a client's error,
and a log line with the request id for every server error; /readyz and /version."""
from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import copy_seeds


@pytest.fixture
def app_and_log(settings, hash_embedder, tmp_path):
    """An app over a small archive, with `byline serve`'s logging config writing to a buffer."""
    from api.app import create_app
    from api.observe import logging_config
    from qa.archive import Archive

    s = settings.model_copy(update={"data_dir": tmp_path / "data", "seeds_dir": copy_seeds(tmp_path / "seeds")})
    archive = Archive(s, embedder=hash_embedder)
    buffer = io.StringIO()
    config = logging_config()
    config["handlers"]["json"]["stream"] = buffer
    touched = [logging.getLogger(name) for name in config["loggers"]]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in touched]
    logging.config.dictConfig(config)
    try:
        yield create_app(s, archive), archive, buffer
    finally:
        for lg, handlers, level, propagate in saved:
            lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate
        archive.close()


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_requests_stages_answers_ingests_and_the_store(app_and_log):
    app, archive, _ = app_and_log
    with TestClient(app) as c:
        assert c.post("/ask", json={"question": "Who invited Zarif to Baghdad in 2025?"}).status_code == 200
        assert c.post("/ask/stream", json={"question": "What is the capital of Australia?"}).status_code == 200
        assert c.get("/documents/nope").status_code == 404
        assert c.post("/documents", json={"id": "m1", "text": "The bridge at Samarra reopened on Tuesday."}).status_code == 201
        assert c.delete("/documents/m1").status_code == 200
        r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = _samples(r.text)
    get = lambda name, **labels: m.get((name, tuple(sorted(labels.items()))), 0.0)  # noqa: E731
    assert get("byline_http_requests_total", method="POST", route="/ask", status="200") == 1
    assert get("byline_http_requests_total", method="GET", route="/documents/{doc_id}", status="404") == 1
    assert get("byline_http_request_duration_seconds_count", method="POST", route="/ask/stream") == 1
    for stage in ("rewrite", "retrieve", "answer", "total"):
        assert get("byline_ask_stage_duration_seconds_count", stage=stage) == 2, stage
    answered, abstained = get("byline_answers_total", abstained="false"), get("byline_answers_total", abstained="true")
    assert answered + abstained == 2 and get("byline_abstention_rate") == abstained / 2
    assert get("byline_ingested_articles_total", outcome="added") == 1
    assert get("byline_ingested_passages_total") >= 1 and get("byline_deleted_articles_total") == 1
    assert get("byline_store_articles") == archive.store.count_articles() >= 5
    assert get("byline_store_passages") == archive.store.count_passages()
    assert get("byline_info", version=app.version, generator="extractive") == 1


def test_one_json_line_a_request_with_its_id(app_and_log):
    app, _, buffer = app_and_log
    with TestClient(app) as c:
        mine = c.get("/healthz", headers={"X-Request-ID": "trace-42.a"})
        theirs = c.get("/healthz", headers={"X-Request-ID": "bad id\\n<script>"})
        none = c.post("/ask", json={"question": ""})
    assert mine.headers["x-request-id"] == "trace-42.a"
    assert theirs.headers["x-request-id"] != "bad id\\n<script>" and len(theirs.headers["x-request-id"]) == 32
    assert none.status_code == 422 and len(none.headers["x-request-id"]) == 32
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    access = [rec for rec in lines if rec["logger"] == "byline.access"]
    assert [(a["request_id"], a["path"], a["status"]) for a in access] == [
        ("trace-42.a", "/healthz", 200), (theirs.headers["x-request-id"], "/healthz", 200),
        (none.headers["x-request-id"], "/ask", 422)]
    assert all(isinstance(a["duration_ms"], float) and a["route"] for a in access)
    assert not [rec for rec in lines if rec["level"] in ("ERROR", "CRITICAL") or "exc_info" in rec]


def test_a_server_error_is_one_log_line_with_its_request_id_and_no_traceback_to_the_client(app_and_log, monkeypatch):
    app, archive, buffer = app_and_log

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    with TestClient(app) as c:
        monkeypatch.setattr(archive, "ask", broken)
        r = c.post("/ask", json={"question": "Who?"}, headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500 and r.headers["x-request-id"] == "req-500"
    assert r.json() == {"detail": "internal error: see the server log (request id req-500)"}
    assert "fire" not in r.text and "Traceback" not in r.text
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    errors = [rec for rec in lines if rec["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["request_id"] == "req-500"
    assert "the disk is on fire" in errors[0]["exc_info"]
    assert [rec["status"] for rec in lines if rec["logger"] == "byline.access"] == [500]


def test_readyz_and_version(app_and_log):
    app, archive, _ = app_and_log
    with TestClient(app) as c:
        ready = c.get("/readyz").json()
        version = c.get("/version").json()
    assert ready["ready"] and ready["articles"] == archive.store.count_articles() >= 5
    assert ready["passages"] == archive.store.count_passages() and ready["generator"] == "extractive"
    assert version["name"] == "byline" and version["version"] and version["python"].startswith("3.11")
