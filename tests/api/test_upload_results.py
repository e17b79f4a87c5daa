"""POST /documents stores what it can and says per file what became of it."""
import pytest
from fastapi.testclient import TestClient

GOOD = b"The Tigris flooded the old market in Mosul on Sunday, the city council said.\n"
CHANGED = b"The Tigris flooded the old market in Mosul on Monday, the city council said.\n"
BAD_UTF8 = b"\xff\xfe\xfa"


@pytest.fixture
def client(empty_archive):
    from api.app import create_app

    with TestClient(create_app(empty_archive.settings, empty_archive)) as c:
        yield c


def by_file(body: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in body["files"]:
        out.setdefault(f["file"], []).append(f)
    return out


def test_a_partly_refused_upload_reports_each_file_and_keeps_what_was_stored(client):
    files = [("files", ("mosul.txt", GOOD, "text/plain")), ("files", ("bad.txt", BAD_UTF8, "text/plain")),
             ("files", ("scan.pdf", b"%PDF-1.4", "application/pdf"))]
    r = client.post("/documents", files=files)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["added"] == ["mosul"]
    files_out = by_file(body)
    assert files_out["mosul.txt"] == [{"file": "mosul.txt", "ids": ["mosul"], "status": "added", "reason": None}]
    [bad] = files_out["bad.txt"]
    assert bad["status"] == "refused" and "UTF-8" in bad["reason"] and bad["ids"] == []
    [pdf] = files_out["scan.pdf"]
    assert pdf["status"] == "refused" and "unsupported" in pdf["reason"]
    assert client.get("/documents/mosul").status_code == 200

    # The same again: nothing new, so not 201, and not a failure either.
    again = client.post("/documents", files=files[:2])
    assert again.status_code == 200, again.text
    assert [(f["file"], f["status"]) for f in again.json()["files"]] == [("mosul.txt", "unchanged"), ("bad.txt", "refused")]

    changed = client.post("/documents", files=[("files", ("mosul.txt", CHANGED, "text/plain"))])
    assert changed.status_code == 201 and changed.json()["files"][0]["status"] == "replaced"
    assert changed.json()["replaced"] == ["mosul"]


def test_an_upload_with_every_file_refused_is_422_with_each_reason(client):
    files = [("files", ("bad.txt", BAD_UTF8, "text/plain")), ("files", ("scan.pdf", b"%PDF-1.4", "application/pdf"))]
    r = client.post("/documents", files=files)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
    assert "bad.txt:" in detail and "UTF-8" in detail and "scan.pdf: unsupported" in detail
    assert client.get("/documents").json()["total"] == 0


def test_a_jsonl_file_lists_its_ids(client):
    lines = b'{"id": "a1", "text": "The bridge at Samarra reopened on Tuesday."}\n' \
            b'{"id": "a2", "text": "Rain closed the roads near Erbil on Wednesday."}\n'
    r = client.post("/documents", files=[("files", ("batch.jsonl", lines, "application/jsonl"))])
    assert r.status_code == 201
    assert r.json()["files"] == [{"file": "batch.jsonl", "ids": ["a1", "a2"], "status": "added", "reason": None}]


def test_a_json_document_has_no_file_name(client):
    r = client.post("/documents", json={"id": "note-1", "text": "The dam at Mosul was inspected on Monday."})
    assert r.status_code == 201
    assert r.json()["files"] == [{"file": None, "ids": ["note-1"], "status": "added", "reason": None}]
    assert client.post("/documents", json={"id": "note-1", "text": "The dam at Mosul was inspected on Monday."}
                       ).status_code == 200
