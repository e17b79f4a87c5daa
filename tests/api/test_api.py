"""The HTTP API over the real archive: answers, documents, and clear 4xx errors."""
import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(settings, archive):
    from api.app import create_app

    with TestClient(create_app(settings, archive)) as c:
        yield c


def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz").json()
    assert r["status"] == "ready" and r["articles"] >= 5


def test_ask_returns_the_documented_shape(client):
    r = client.post("/ask", json={"question": "Who invited Zarif to Baghdad in 2025?"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"answer", "abstained", "confidence", "standalone_question", "citations", "timings_ms",
                         "generator", "dropped", "other_passages", "date_unknown"}
    assert "al-Hakim" in body["answer"] and body["generator"] == "extractive" and body["dropped"] == 0
    c = body["citations"][0]
    assert set(c) == {"n", "doc_id", "title", "source", "url", "published", "published_inferred", "quote", "start", "end",
                      "title_inferred", "published_evidence"}
    assert c["doc_id"] == "001_5636c687975dd817" and c["published"] == "2025-02-07"


def test_ask_with_history_as_of_and_filters(client):
    r = client.post("/ask", json={
        "question": "What movement does he lead?",
        "history": [{"role": "user", "content": "Who invited Zarif to Baghdad in 2025?"},
                    {"role": "assistant", "content": "Seyyed Ammar al-Hakim [1]"}],
        "filters": {"published_from": "2025-01-01"}, "top_k": 3})
    assert r.status_code == 200 and "National Wisdom Movement" in r.json()["answer"]
    r = client.post("/ask", json={"question": "Who invited Zarif?", "as_of": "2020-12-31"})
    assert all(c["doc_id"] != "001_5636c687975dd817" for c in r.json()["citations"])


@pytest.mark.parametrize("body, fragment", [
    ({"question": ""}, "question"),
    ({"question": "   "}, "empty"),
    ({"question": "x" * 2001}, "question"),
    ({"question": "Who?", "as_of": "2025-13-01"}, "as_of"),
    ({"question": "Who?", "top_k": 50}, "top_k"),
    ({"question": "Who?", "history": [{"role": "robot", "content": "hi"}]}, "role"),
    ({}, "question"),
])
def test_bad_ask_is_a_readable_422(client, body, fragment):
    r = client.post("/ask", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and fragment in detail and "Traceback" not in detail


def test_documents_list_show_404(client):
    r = client.get("/documents", params={"limit": 2})
    body = r.json()
    assert body["total"] >= 5 and len(body["items"]) == 2
    doc = client.get("/documents/003_9635e7a99c58f50c").json()
    assert doc["source"] == "Tasnim" and doc["published"] is None
    r = client.get("/documents/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert client.delete("/documents/nope").status_code == 404


def test_add_ask_and_delete_a_document(client):
    text = ("BASRA (Harbour News) - The port of Umm Qasr reopened on Friday after a sandstorm, "
            "port director Farhan al-Fartousi said.")
    r = client.post("/documents", json={"id": "port-1", "text": text, "published": "2024-03-01"})
    assert r.status_code == 201 and r.json()["added"] == ["port-1"]
    again = client.post("/documents", json={"id": "port-1", "text": text, "published": "2024-03-01"})
    assert again.json()["unchanged"] == ["port-1"]
    a = client.post("/ask", json={"question": "Who is the director of the Umm Qasr port?"}).json()
    assert "Farhan al-Fartousi" in a["answer"] and a["citations"][0]["doc_id"] == "port-1"
    assert client.delete("/documents/port-1").json() == {"deleted": "port-1"}
    assert client.get("/documents/port-1").status_code == 404


def test_file_upload(client):
    files = [("files", ("river.md", b"# River\n\nThe Tigris flooded the old market in Mosul on Sunday.\n", "text/markdown"))]
    r = client.post("/documents", files=files)
    assert r.status_code == 201 and r.json()["added"] == ["river"]
    assert client.get("/documents/river").json()["title"] == "River"
    client.delete("/documents/river")


@pytest.mark.parametrize("kwargs, status, fragment", [
    ({"files": [("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))]}, 415, "unsupported"),
    ({"content": b"plain", "headers": {"content-type": "text/plain"}}, 415, "multipart"),
    ({"json": {"id": "bad id!", "text": "x"}}, 422, "document id"),
    ({"json": {"id": "x", "text": ""}}, 422, "text"),
    ({"json": {"id": "x", "text": "Some text.", "published": "not a date"}}, 422, "published"),
    ({"files": [("files", ("big.txt", b"x" * 6_000_000, "text/plain"))]}, 413, "too large"),
    ({"files": [("files", ("bad.txt", b"\xff\xfe\xfa", "text/plain"))]}, 422, "UTF-8"),
])
def test_bad_uploads_are_clear_4xx(client, kwargs, status, fragment):
    r = client.post("/documents", **kwargs)
    assert r.status_code == status, r.text
    assert fragment in r.json()["detail"]
