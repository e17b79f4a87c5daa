"""BYLINE_TOP_K applies wherever a request leaves top_k out: /ask, /ask/stream, conversation
messages, /v1/chat/completions and `byline ask`. Observed on the retriever itself."""
import json

import pytest
from fastapi.testclient import TestClient

QUESTION = "Who invited Zarif to Baghdad in 2025?"


@pytest.fixture
def top2_archive(settings, archive):
    """The seeded archive's store and model, under settings with top_k=2 (not closed: shared)."""
    from qa.archive import Archive

    return Archive(settings.model_copy(update={"top_k": 2}), store=archive.store, embedder=archive.embedder)


@pytest.fixture
def retrieved(monkeypatch) -> list[tuple[int, int]]:
    """(k the retriever was built with, passages it returned), one per search."""
    from qa.ask.retrieval import HybridRetriever

    calls: list[tuple[int, int]] = []
    search = HybridRetriever.search

    def spy(self, query):
        found = search(self, query)
        calls.append((self.k, len(found)))
        return found

    monkeypatch.setattr(HybridRetriever, "search", spy)
    return calls


@pytest.fixture
def client(top2_archive):
    from api.app import create_app

    with TestClient(create_app(top2_archive.settings, top2_archive)) as c:
        yield c


def test_ask_uses_the_top_k_setting(client, retrieved):
    r = client.post("/ask", json={"question": QUESTION})
    assert r.status_code == 200 and "al-Hakim" in r.json()["answer"]
    assert retrieved == [(2, 2)]
    client.post("/ask", json={"question": QUESTION, "top_k": 3})  # an explicit value still wins
    assert retrieved[-1] == (3, 3)


def test_stream_conversation_and_openai_use_the_top_k_setting(client, retrieved):
    assert client.post("/ask/stream", json={"question": QUESTION}).status_code == 200
    cid = client.post("/conversations", json={}).json()["id"]
    assert client.post(f"/conversations/{cid}/messages", json={"content": QUESTION}).status_code == 200
    assert client.post(f"/conversations/{cid}/messages/stream", json={"content": QUESTION}).status_code == 200
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
    assert r.status_code == 200
    assert [k for k, _ in retrieved] == [2, 2, 2, 2]
    client.delete(f"/conversations/{cid}")


def test_cli_ask_uses_the_top_k_setting(top2_archive, retrieved, monkeypatch):
    from typer.testing import CliRunner

    from api import cli

    monkeypatch.setattr(cli, "_archive", lambda: top2_archive)
    r = CliRunner().invoke(cli.app, ["ask", QUESTION, "--json"])
    assert r.exit_code == 0, r.output
    assert "al-Hakim" in json.loads(r.stdout)["answer"] and retrieved == [(2, 2)]
    r = CliRunner().invoke(cli.app, ["ask", QUESTION, "--top-k", "4", "--json"])
    assert r.exit_code == 0 and retrieved[-1] == (4, 4)
