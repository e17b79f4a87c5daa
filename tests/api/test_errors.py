"""Errors of Byline's own family reach the client as one line, never as a 500."""
from fastapi.testclient import TestClient


def test_byline_errors_are_one_line_4xx_or_503(settings, archive, monkeypatch):
    from api.app import create_app
    from qa.errors import BylineError, GeneratorUnavailable

    def refuse(*args, **kwargs):
        raise BylineError("that cannot be asked here")

    with TestClient(create_app(settings, archive)) as c:
        monkeypatch.setattr(archive, "ask", refuse)
        r = c.post("/ask", json={"question": "Who?"})
        assert r.status_code == 422 and r.json() == {"detail": "that cannot be asked here"}

        def unavailable(*args, **kwargs):
            raise GeneratorUnavailable("no model here")

        monkeypatch.setattr(archive, "ask", unavailable)
        r = c.post("/ask", json={"question": "Who?"})
        assert r.status_code == 503 and r.json() == {"detail": "the answer generator is unavailable: no model here"}


# --- hostile input: findings 2, 3 and 6 of the reliability issue ------------------------------

import asyncio  # noqa: E402
import json  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def client(settings, archive):
    from api.app import create_app

    with TestClient(create_app(settings, archive)) as c:
        yield c


@pytest.mark.parametrize("url", [
    "/documents?offset=9223372036854775808",
    "/documents?limit=10&offset=-1",
    "/conversations?limit=177&offset=40037301523579885961871360",
    "/conversations?limit=99999999999999999999",
])
def test_huge_or_negative_offsets_are_a_422_not_a_500(client, url):
    r = client.get(url)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and ("offset" in detail or "limit" in detail)


def test_streaming_to_an_unknown_conversation_is_a_404_before_the_stream(client):
    r = client.post("/conversations/nope/messages/stream", json={"content": "Who?"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert r.json() == {"detail": "no conversation with id 'nope'"}


@pytest.mark.parametrize("path, body", [
    ("/ask", {"question": "Who?", "history": [{"role": "user", "content": "x" * 25_000}] * 50}),
    ("/ask/stream", {"question": "Who?", "history": [{"role": "user", "content": "x" * 25_000}] * 50}),
    ("/conversations", {"title": "x" * 2_000_000}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x" * 2_000_000}]}),
])
def test_a_body_over_the_cap_is_a_413_before_it_is_read(client, path, body):
    r = client.post(path, json=body)
    assert r.status_code == 413, r.text[:300]
    message = r.json()["error"]["message"] if path.startswith("/v1/") else r.json()["detail"]
    assert "too large" in message and "1000000" in message


def test_an_endless_body_is_cut_off_at_the_cap(settings, archive):
    """No Content-Length and a body that never ends: the server stops reading at the cap and
    answers 413, instead of reading forever (or into memory whole)."""
    from api.app import create_app

    app = create_app(settings, archive)
    chunk = b"x" * 65_536
    reads = 0
    sent: list[dict] = []

    most = 3 * settings.max_body_bytes // len(chunk)  # endless, as far as a capped server can tell

    async def receive():
        nonlocal reads
        reads += 1
        await asyncio.sleep(0)
        return {"type": "http.request", "body": chunk, "more_body": reads < most}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/ask", "raw_path": b"/ask", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    with TestClient(app):  # started: the archive is ready
        asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413 and "too large" in json.loads(body)["detail"]
    assert reads <= settings.max_body_bytes // len(chunk) + 2


def test_uploads_have_their_own_larger_cap(client):
    data = b"%PDF-1.4 " + b"x" * 1_200_000  # over the body cap, under the upload cap: read whole,
    r = client.post("/documents", files=[("files", ("scan.pdf", data, "application/pdf"))])  # then refused
    assert r.status_code == 415 and "scan.pdf: unsupported" in r.json()["detail"]
    r = client.post("/documents", files=[("files", ("big.txt", b"x" * 6_000_000, "text/plain"))])
    assert r.status_code == 413 and "limit 5000000 bytes" in r.json()["detail"]


def test_an_article_longer_than_the_pipeline_takes_is_refused_not_a_500(client):
    text = "The harbour reopened on Friday. " * 40_000  # 1.28 million characters
    r = client.post("/documents", json={"id": "huge", "text": text})
    assert r.status_code == 422 and "at most 1,000,000" in r.json()["detail"]
    r = client.post("/documents", files=[("files", ("huge.txt", text.encode(), "text/plain"))])
    assert r.status_code == 422 and "huge.txt" in r.json()["detail"] and "1,000,000" in r.json()["detail"]


@pytest.mark.parametrize("turn", ["", " ", "?"])
def test_a_blank_history_turn_is_not_a_500(client, turn):
    """Found by the fuzzer: a follow-up rewrite read the last token of an empty phrase (an
    IndexError in qa/ask/rewrite.py) when a user turn of the history was blank or only '?'."""
    r = client.post("/ask", json={"question": "Who won?", "history": [
        {"role": "user", "content": "Who won the election?"}, {"role": "user", "content": turn}]})
    assert r.status_code == 200, r.text
