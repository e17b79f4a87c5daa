"""Streaming, conversations (across a restart), the OpenAI-compatible endpoint with the real
`openai` client, and API keys: over the real archive."""
import json

import pytest
from fastapi.testclient import TestClient

from eval.serving import serve

QUESTION = "Who invited Zarif to Baghdad in 2025?"


@pytest.fixture(scope="module")
def client(settings, archive):
    from api.app import create_app

    with TestClient(create_app(settings, archive)) as c:
        yield c


def events(response) -> list[tuple[str, dict]]:
    out = []
    for block in response.text.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines:
            continue
        name = next((l[6:].strip() for l in lines if l.startswith("event:")), "message")
        data = "\n".join(l[5:].lstrip() for l in lines if l.startswith("data:"))
        out.append((name, json.loads(data)))
    return out


def test_stream_events_come_in_order_and_done_carries_everything(client):
    r = client.post("/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    got = events(r)
    names = [n for n, _ in got]
    assert names[0] == "question" and names[1] == "citations" and names[-1] == "done"
    assert set(names[2:-1]) == {"answer"}
    text = "".join(d["text"] for n, d in got if n == "answer")
    done = got[-1][1]
    assert text == done["answer"] and "al-Hakim" in text
    assert done["citations"] == got[1][1] and done["citations"][0]["doc_id"] == "001_5636c687975dd817"
    # The same object /ask gives.
    plain = client.post("/ask", json={"question": QUESTION}).json()
    assert {k: v for k, v in plain.items() if k != "timings_ms"} == {k: v for k, v in done.items() if k != "timings_ms"}


def test_stream_rejects_bad_input_before_streaming(client):
    r = client.post("/ask/stream", json={"question": "  "})
    assert r.status_code == 422 and "empty" in r.json()["detail"]


def test_conversation_follow_up_uses_stored_history(client):
    conv = client.post("/conversations", json={}).json()
    first = client.post(f"/conversations/{conv['id']}/messages", json={"content": QUESTION}).json()
    assert "al-Hakim" in first["answer"] and first["conversation_id"] == conv["id"]
    second = client.post(f"/conversations/{conv['id']}/messages", json={"content": "What movement does he lead?"}).json()
    assert "al-Hakim" in second["standalone_question"] and "Wisdom" in second["answer"]
    stored = client.get(f"/conversations/{conv['id']}").json()
    assert [m["role"] for m in stored["items"]] == ["user", "assistant", "user", "assistant"]
    assert stored["title"] == QUESTION and stored["items"][3]["answer"]["citations"]
    listed = client.get("/conversations").json()
    assert any(c["id"] == conv["id"] and c["messages"] == 4 for c in listed["items"])


def test_conversation_stream_stores_the_exchange(client):
    cid = client.post("/conversations", json={"title": "streamed"}).json()["id"]
    got = events(client.post(f"/conversations/{cid}/messages/stream", json={"content": QUESTION}))
    assert got[-1][0] == "done" and got[-1][1]["conversation_id"] == cid
    assert len(client.get(f"/conversations/{cid}").json()["items"]) == 2


def test_unknown_conversation_is_404_and_delete_works(client):
    assert client.get("/conversations/nope").status_code == 404
    assert client.post("/conversations/nope/messages", json={"content": "hi"}).status_code == 404
    cid = client.post("/conversations", json={}).json()["id"]
    assert client.delete(f"/conversations/{cid}").status_code == 200
    assert client.get(f"/conversations/{cid}").status_code == 404


def test_conversations_list_most_recent_first_within_one_second(tmp_path, archive):
    from qa.conversations import ConversationStore

    store = ConversationStore(tmp_path / "c.sqlite")
    answer = archive.ask(QUESTION)
    a, b, c = (store.create(t) for t in ("a", "b", "c"))  # well within one second
    store.add_exchange(b.id, QUESTION, answer)
    assert [x.title for x in store.list()[0]] == ["b", "c", "a"]
    store.add_exchange(a.id, QUESTION, answer)
    assert [x.title for x in store.list()[0]] == ["a", "b", "c"]


def test_conversations_survive_a_restart(settings, archive):
    from api.app import create_app

    with TestClient(create_app(settings, archive)) as c:
        cid = c.post("/conversations", json={}).json()["id"]
        c.post(f"/conversations/{cid}/messages", json={"content": QUESTION})
    with TestClient(create_app(settings, archive)) as c:  # a new app: a new store on the same files
        items = c.get(f"/conversations/{cid}").json()["items"]
        assert len(items) == 2 and "al-Hakim" in items[1]["content"]


@pytest.fixture(scope="module")
def live(settings, archive):
    from api.app import create_app

    with serve(create_app(settings, archive)) as base:
        yield base


def test_openai_client_non_streaming(live):
    import openai

    client = openai.OpenAI(base_url=live + "/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["byline"]
    r = client.chat.completions.create(model="byline", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": QUESTION}])
    text = r.choices[0].message.content
    assert "al-Hakim" in text and "[1]" in text and r.choices[0].finish_reason == "stop"
    extra = r.model_extra
    assert extra["citations"][0]["doc_id"] == "001_5636c687975dd817"


def test_openai_client_streaming_with_history(live):
    import openai

    client = openai.OpenAI(base_url=live + "/v1", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(model="byline", stream=True, messages=[
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "Seyyed Ammar al-Hakim [1]"},
        {"role": "user", "content": "What movement does he lead?"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Wisdom" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"]


def test_openai_errors_in_openai_shape(live):
    import openai

    client = openai.OpenAI(base_url=live + "/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="no user message"):
        client.chat.completions.create(model="byline", messages=[{"role": "system", "content": "hi"}])


@pytest.fixture
def keyed(settings, archive):
    from api.app import create_app

    s = settings.model_copy(update={"api_keys": ["s3cret-key"], "cors_origins": ["http://example.test"]})
    with TestClient(create_app(s, archive)) as c:
        yield c


def test_document_writes_need_a_key(keyed):
    doc = {"id": "keyed_note", "text": "A note about keys written for this test."}
    r = keyed.post("/documents", json=doc)
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]
    r = keyed.post("/documents", json=doc, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403 and "not valid" in r.json()["detail"]
    r = keyed.post("/documents", json=doc, headers={"Authorization": "Bearer s3cret-key"})
    assert r.status_code == 201
    assert keyed.delete("/documents/keyed_note").status_code == 401
    assert keyed.delete("/documents/keyed_note", headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
    # Reads stay open.
    assert keyed.get("/documents").status_code == 200
    assert keyed.post("/ask", json={"question": QUESTION}).status_code == 200


def test_cors_allows_the_configured_origin_only(keyed):
    ok = keyed.options("/ask", headers={"Origin": "http://example.test", "Access-Control-Request-Method": "POST"})
    assert ok.headers.get("access-control-allow-origin") == "http://example.test"
    no = keyed.options("/ask", headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in no.headers


def test_reads_can_be_protected(settings, archive):
    from api.app import create_app

    s = settings.model_copy(update={"api_keys": ["k1", "k2"], "protect_reads": True})
    with TestClient(create_app(s, archive)) as c:
        assert c.post("/ask", json={"question": QUESTION}).status_code == 401
        assert c.get("/conversations").status_code == 401
        assert c.post("/ask", json={"question": QUESTION}, headers={"Authorization": "Bearer k2"}).status_code == 200
        assert c.get("/healthz").status_code == 200
