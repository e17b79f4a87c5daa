"""Trust you can see, through the HTTP API: the time an answer was asked under, undated articles
(left out of an explicit range unless asked for; kept with as_of alone, and flagged), a reversed
range refused, a date line under a headline read as stated, corrections by hand (PATCH), the
archive's figures (/stats), and the other passages an answer was read from."""
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.conftest import copy_seeds
from qa.overview import MIN_CONFIDENCE

UNDATED = {"003_9635e7a99c58f50c", "004_cf2dca9934893808"}  # the seeds whose date is unknown
KAZEMI = "Who met Mustafa Al-Kazemi?"  # answered by 004, an undated seed
PORT = """Port strike ends after nine days
By Jane Doe
date 2025-03-14

The dock workers' strike at the port of Gdansk ended on Friday after nine days, the union said.
The last strike at the port, in 2019, lasted three days.
"""


@pytest.fixture(scope="module")
def trust_archive(settings, embedder, tmp_path_factory):
    """The seeds in an archive of this module's own: corrections here change it."""
    from qa.archive import Archive

    root = tmp_path_factory.mktemp("trust")
    s = settings.model_copy(update={"data_dir": root / "data", "seeds_dir": copy_seeds(root / "seeds")})
    a = Archive(s, embedder=embedder)
    a.ensure_seeded(progress=False)
    yield a
    a.close()


@pytest.fixture(scope="module")
def client(trust_archive):
    from api.app import create_app

    with TestClient(create_app(trust_archive.settings, trust_archive)) as c:
        yield c


def cited_and_read(body) -> set[str]:
    return {c["doc_id"] for c in body["citations"]} | {p["doc_id"] for p in body["other_passages"]}


# --- undated articles: both sides of the rule ---------------------------------------------------

def test_an_explicit_range_leaves_undated_articles_out(client):
    r = client.post("/ask", json={"question": KAZEMI, "filters": {"published_from": "2000-01-01"}})
    body = r.json()
    assert r.status_code == 200 and body["other_passages"]
    assert not cited_and_read(body) & UNDATED
    assert body["date_unknown"] is False
    assert all(c["published"] for c in body["citations"])


def test_an_explicit_range_with_include_undated_reads_them(client):
    r = client.post("/ask", json={"question": KAZEMI,
                                  "filters": {"published_from": "2000-01-01", "include_undated": True}})
    body = r.json()
    assert cited_and_read(body) & UNDATED
    assert body["citations"][0]["doc_id"] == "004_cf2dca9934893808" and "Qalibaf" in body["answer"]
    assert body["date_unknown"] is True  # said beside the answer, not only in the citation


def test_as_of_alone_keeps_undated_articles_and_flags_the_answer(client):
    # Every dated seed is from 2020 or later: as of 2000, only the undated ones can answer.
    r = client.post("/ask", json={"question": KAZEMI, "as_of": "2000-01-01"})
    body = r.json()
    assert not body["abstained"] and "Qalibaf" in body["answer"]
    assert body["citations"][0]["published"] is None and body["date_unknown"] is True
    assert cited_and_read(body) <= UNDATED
    # The same flag in the stream's done event.
    with client.stream("POST", "/ask/stream", json={"question": KAZEMI, "as_of": "2000-01-01"}) as s:
        text = "".join(s.iter_text())
    done = text.split("event: done", 1)[1]
    assert '"date_unknown":true' in done.replace(" ", "")


def test_a_dated_answer_is_not_flagged(client):
    body = client.post("/ask", json={"question": "Who invited Zarif to Baghdad in 2025?"}).json()
    assert body["date_unknown"] is False and body["citations"][0]["published"] == "2025-02-07"


def test_the_filter_the_store_gets():
    from qa.ask.service import passage_filter
    from qa.types import Filters

    assert passage_filter(Filters(published_to=date(2021, 1, 1)), None, None).include_undated is False
    assert passage_filter(Filters(published_from=date(2020, 1, 1), include_undated=True), None, None).include_undated
    assert passage_filter(None, date(2021, 1, 1), None).include_undated  # as_of alone keeps them
    assert passage_filter(Filters(sources=["Tasnim"]), None, None).include_undated


# --- time, refused when it can't hold ----------------------------------------------------------

@pytest.mark.parametrize("path, extra", [("/ask", {}), ("/ask/stream", {})])
@pytest.mark.parametrize("options, fragment", [
    ({"filters": {"published_from": "2025-01-01", "published_to": "2020-01-01"}},
     "filters: the publication range is reversed: published_from 2025-01-01 is after published_to 2020-01-01"),
    ({"as_of": "2019-06-30", "filters": {"published_from": "2020-01-01"}},
     "as_of 2019-06-30 is before published_from 2020-01-01"),
])
def test_a_reversed_range_or_an_as_of_before_it_is_a_422(client, path, extra, options, fragment):
    r = client.post(path, json={"question": "Who invited Zarif?", **options, **extra})
    assert r.status_code == 422 and fragment in r.json()["detail"]


def test_a_reversed_range_is_refused_in_conversations_and_v1(client):
    cid = client.post("/conversations", json={}).json()["id"]
    bad = {"filters": {"published_from": "2025-01-01", "published_to": "2020-01-01"}}
    for path in (f"/conversations/{cid}/messages", f"/conversations/{cid}/messages/stream"):
        r = client.post(path, json={"content": "Who invited Zarif?", **bad})
        assert r.status_code == 422 and "reversed" in r.json()["detail"]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "Who invited Zarif?"}], **bad})
    assert r.status_code == 400 and "reversed" in r.json()["error"]["message"]
    assert client.get(f"/conversations/{cid}").json()["items"] == []  # nothing was asked


def test_the_time_a_question_was_asked_under_is_kept_with_it(client):
    cid = client.post("/conversations", json={}).json()["id"]
    filters = {"published_from": "2020-01-01", "published_to": "2020-12-31", "sources": ["Mehr News Agency"]}
    r = client.post(f"/conversations/{cid}/messages", json={"content": "Who invited Zarif?", "as_of": "2020-06-30",
                                                            "filters": filters})
    assert r.status_code == 200
    client.post(f"/conversations/{cid}/messages", json={"content": "Who invited Zarif?"})
    items = client.get(f"/conversations/{cid}").json()["items"]
    assert [m["as_of"] for m in items] == ["2020-06-30", "2020-06-30", None, None]
    assert items[1]["filters"]["sources"] == ["Mehr News Agency"] and items[1]["filters"]["include_undated"] is False
    assert items[1]["filters"]["published_to"] == "2020-12-31" and items[3]["filters"] is None


# --- provenance -------------------------------------------------------------------------------

def test_a_date_line_under_a_headline_and_byline_is_stated(client):
    r = client.post("/documents", json={"id": "port", "text": PORT})
    assert r.status_code == 201
    doc = client.get("/documents/port").json()
    assert doc["published"]["value"] == "2025-03-14" and doc["published"]["inferred"] is False
    assert doc["published"]["evidence"] == "date 2025-03-14"  # not "2019 (inferred)" from the story
    assert doc["title"] == "Port strike ends after nine days" and doc["title_inferred"] is False
    assert doc["title_evidence"] == "headline line"
    body = client.post("/ask", json={"question": "How long did the dock workers' strike at the port of Gdansk last?"}).json()
    assert body["citations"][0]["doc_id"] == "port" and "date 2025-03-14" not in body["citations"][0]["quote"]


def test_citations_say_how_their_date_and_title_were_found(client):
    body = client.post("/ask", json={"question": "Who invited Zarif?", "as_of": "2020-12-31"}).json()
    c = body["citations"][0]
    assert c["published"] == "2020" and c["published_inferred"] is True
    assert c["published_evidence"].startswith("latest date mentioned:")
    assert c["title_inferred"] is True


def test_other_passages_are_the_rest_of_what_was_read(client):
    body = client.post("/ask", json={"question": "Who invited Zarif to Baghdad in 2025?", "top_k": 5}).json()
    others = body["other_passages"]
    assert 1 <= len(others) <= 4
    cited = body["citations"][0]
    for p in others:
        assert set(p) == {"doc_id", "title", "source", "published", "published_inferred", "start", "end", "text"}
        assert not (p["doc_id"] == cited["doc_id"] and p["start"] <= cited["start"] < p["end"])
        assert len(p["text"]) <= 301
        text = client.get(f"/documents/{p['doc_id']}").json()["text"]
        assert text[p["start"]:p["end"]].startswith(p["text"].rstrip("…"))


# --- corrections by hand ------------------------------------------------------------------------

def test_patch_corrects_the_date_as_stated_and_never_the_text(client, trust_archive):
    doc_id = "004_cf2dca9934893808"
    before = client.get(f"/documents/{doc_id}").json()
    assert before["published"] is None
    r = client.patch(f"/documents/{doc_id}", json={"published": "2020-07-22", "source": "IRNA",
                                                    "title": "Al-Kazemi meets Qalibaf in Tehran"})
    assert r.status_code == 200
    after = client.get(f"/documents/{doc_id}").json()
    assert after["text"] == before["text"]
    p = after["published"]
    assert (p["value"], p["precision"], p["inferred"]) == ("2020-07-22", "day", False)
    assert p["evidence"] == "corrected by hand (detected: unknown)"
    assert (after["source"], after["source_evidence"]) == ("IRNA", "corrected by hand")
    assert (after["title"], after["title_inferred"], after["title_evidence"]) == (
        "Al-Kazemi meets Qalibaf in Tehran", False, "corrected by hand")
    # The corrected date is the one filters and answers use.
    body = client.post("/ask", json={"question": KAZEMI, "filters": {"published_from": "2020-07-01",
                                                                     "published_to": "2020-07-31"}}).json()
    c = body["citations"][0]
    assert (c["doc_id"], c["published"], c["published_inferred"], c["source"]) == (doc_id, "2020-07-22", False, "IRNA")
    assert body["date_unknown"] is False
    # Ingesting the unchanged file again leaves the correction in place.
    report = trust_archive.ingest_paths([trust_archive.settings.seeds_dir])
    assert doc_id in report.unchanged
    assert client.get(f"/documents/{doc_id}").json()["published"]["value"] == "2020-07-22"
    # A second correction says what was there before it; null makes a field unknown again.
    r = client.patch(f"/documents/{doc_id}", json={"published": "2020", "source": None})
    assert r.json()["published"]["evidence"] == "corrected by hand (detected: 2020-07-22)"
    assert r.json()["published"]["precision"] == "year" and r.json()["source"] is None


def test_patch_an_unknown_document_is_a_404(client):
    r = client.patch("/documents/no-such-doc", json={"published": "2025-03-14"})
    assert r.status_code == 404 and r.json()["detail"] == "no document with id 'no-such-doc'"


@pytest.mark.parametrize("body, fragment", [
    ({"published": "2025-13-01"}, "published: expected a date as YYYY-MM-DD"),
    ({"published": "14/03/2025"}, "published: expected a date as YYYY-MM-DD"),
    ({"published": "next week"}, "published: expected a date as YYYY-MM-DD"),
    ({"published": "2030-01-01"}, "published: 2030-01-01 is after today"),
    ({"title": None}, "title: can't be empty"),
    ({"title": "   "}, "title: can't be empty"),
    ({"url": "javascript:alert(1)"}, "url: expected an http:// or https:// address"),
    ({"text": "new text"}, "text: Extra inputs are not permitted"),
])
def test_patch_refuses_bad_values_in_words(client, body, fragment):
    before = client.get("/documents/000_a2e96b1a236249f5").json()
    r = client.patch("/documents/000_a2e96b1a236249f5", json=body)
    assert r.status_code == 422 and fragment in r.json()["detail"], r.json()
    assert client.get("/documents/000_a2e96b1a236249f5").json() == before


def test_patch_needs_a_key_where_writes_do(trust_archive):
    from api.app import create_app

    s = trust_archive.settings.model_copy(update={"api_keys": ["sesame"]})
    with TestClient(create_app(s, trust_archive)) as c:
        assert c.patch("/documents/000_a2e96b1a236249f5", json={"source": "X"}).status_code == 401
        assert c.patch("/documents/000_a2e96b1a236249f5", json={"source": "X"},
                       headers={"Authorization": "Bearer nope"}).status_code == 403
        assert c.get("/stats").json()["api_keys"] == "writes"


# --- what the archive holds -------------------------------------------------------------------

def test_stats_say_what_the_archive_holds(client):
    s = client.get("/stats").json()
    listed = client.get("/documents", params={"limit": 500}).json()
    assert s["articles"] == listed["total"] and s["passages"] > s["articles"]
    named = {x["name"]: x["articles"] for x in s["sources"]}
    assert named.get("Mehr News Agency") == 2 and "Tasnim" in named
    assert s["unknown_source"] == sum(1 for d in listed["items"] if not d["source"])
    assert s["undated"] == sum(1 for d in listed["items"] if not d["published"])
    dated = sorted(d["published"]["start"] for d in listed["items"] if d["published"])
    assert s["earliest"][:4] == dated[0][:4] and s["latest"][:4] == dated[-1][:4]
    assert s["api_keys"] == "none"
    assert 1 <= len(s["examples"]) <= 3
    for q in s["examples"]:  # each one answered, not abstained
        body = client.post("/ask", json={"question": q}).json()
        assert not body["abstained"] and body["confidence"] >= MIN_CONFIDENCE


def test_stats_of_an_empty_archive(empty_archive):
    from api.app import create_app

    with TestClient(create_app(empty_archive.settings, empty_archive)) as c:
        s = c.get("/stats").json()
    assert (s["articles"], s["sources"], s["earliest"], s["latest"], s["examples"]) == (0, [], None, None, [])


def test_documents_newest_first(client):
    items = client.get("/documents", params={"order": "newest", "limit": 500}).json()["items"]
    starts = [d["published"]["start"] for d in items if d["published"]]
    assert starts == sorted(starts, reverse=True)
    undated_from = next(i for i, d in enumerate(items) if not d["published"])
    assert all(not d["published"] for d in items[undated_from:])
    assert client.get("/documents", params={"order": "oldest"}).status_code == 422
