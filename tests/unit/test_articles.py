"""Reading articles and settling their metadata, on the real seeds and on each format."""
from datetime import date

import pytest

from qa.text import nlp
from qa.ingest.readers import ArticleError, from_bytes
from qa.ingest.preparing import prepare
from tests.conftest import SEEDS

TODAY = date(2026, 11, 22)


def seed(doc_id):
    (draft,) = from_bytes(f"{doc_id}.txt", (SEEDS / f"{doc_id}.txt").read_bytes())
    return prepare(draft, nlp.ingest()(draft.text), TODAY, 800, 1)


@pytest.mark.parametrize("doc_id, source, published, inferred", [
    ("000_a2e96b1a236249f5", "Mehr News Agency", "2020", True),
    ("001_5636c687975dd817", None, "2025-02-07", False),
    ("002_fcf7af4745e890eb", "Mehr News Agency", "2020", True),  # not "the Tehran Times", a quote
    ("003_9635e7a99c58f50c", "Tasnim", None, None),  # no year anywhere: unknown is right
    ("004_cf2dca9934893808", None, None, None),  # "(Reuters)" is a photo credit, not the publisher
])
def test_seed_metadata(doc_id, source, published, inferred):
    a = seed(doc_id).article
    assert a.source == source
    if published is None:
        assert a.published is None
    else:
        assert (a.published.value, a.published.inferred) == (published, inferred)
        assert a.published.evidence


def test_inferred_date_has_year_precision_and_evidence():
    p = seed("002_fcf7af4745e890eb").article.published
    assert p.precision == "year" and p.start == date(2020, 1, 1) and "May 8, 2020" in p.evidence


def test_titles_stated_or_made_and_marked():
    stated = seed("003_9635e7a99c58f50c").article
    assert stated.title == "Iran Seeks Enhanced Cooperation with Iraq to Address Regional Instability"
    assert not stated.title_inferred
    made = seed("000_a2e96b1a236249f5").article
    assert made.title_inferred and made.title.startswith("Foreign Minister Mohammad Javad Zarif")


def test_text_is_stored_unchanged():
    raw = (SEEDS / "001_5636c687975dd817.txt").read_bytes().decode("utf-8")
    assert seed("001_5636c687975dd817").article.text == raw


def test_passages_have_exact_offsets_and_no_boilerplate():
    for f in SEEDS.glob("*.txt"):
        p = seed(f.stem)
        text = p.article.text
        for passage in p.passages:
            assert text[passage.start:passage.end] == passage.text
            for s in passage.sentences:
                assert passage.start <= s.start < s.end <= passage.end
            for bad in ("All Content by", "Most Visited in Politics", "Top Stories", "(Reuters)",
                        "date 2025-02-07", "SM/PA"):
                assert bad not in passage.text, (f.stem, bad)


def test_passages_overlap_by_a_sentence():
    ps = seed("000_a2e96b1a236249f5").passages
    assert len(ps) > 3
    assert all(len(p.text) <= 1000 for p in ps)
    assert ps[1].sentences[0] == ps[0].sentences[-1]


def test_markdown_front_matter_states_metadata():
    text = "---\ntitle: Dam opens\nsource: Example Wire\ndate: 2024-03-05\n---\nThe dam opened on Tuesday. It holds water.\n"
    (draft,) = from_bytes("dam.md", text.encode())
    a = prepare(draft, nlp.ingest()(draft.text), TODAY, 800, 1)
    assert (a.article.title, a.article.source, a.article.published.value) == ("Dam opens", "Example Wire", "2024-03-05")
    assert a.article.text == text
    assert "title:" not in a.passages[0].text


def test_html_article():
    html = b"""<html><head><title>Ignored</title><meta property="og:title" content="Port reopens">
    <meta property="og:site_name" content="Harbour News"><meta property="article:published_time" content="2024-01-09T10:00:00Z">
    <script>alert(1)</script></head><body><nav>Home</nav><article><h1>Port reopens</h1>
    <p>The port reopened on Monday after a storm.</p><p>Ships queued for hours.</p></article></body></html>"""
    (draft,) = from_bytes("port.html", html)
    a = prepare(draft, nlp.ingest()(draft.text), TODAY, 800, 1).article
    assert (a.title, a.source, a.published.value) == ("Port reopens", "Harbour News", "2024-01-09")
    assert "alert" not in a.text and "Home" not in a.text


def test_jsonl_records_and_their_errors():
    ok = b'{"id": "x1", "title": "T", "text": "Some text here.", "published": "2024-02-01"}\n'
    assert [d.id for d in from_bytes("c.jsonl", ok)] == ["x1"]
    with pytest.raises(ArticleError, match="line 1: 'text'"):
        list(from_bytes("c.jsonl", b'{"id": "x"}\n'))
    with pytest.raises(ArticleError, match="line 2: not JSON"):
        list(from_bytes("c.jsonl", ok + b"{oops\n"))


@pytest.mark.parametrize("name, data, message", [
    ("a.pdf", b"%PDF", "unsupported file type"),
    ("a.txt", b"\xff\xfe\x00bad", "not UTF-8"),
    ("a.txt", b"   \n", "empty"),
    ("bad id!.txt", b"text", "bad document id"),
])
def test_bad_files_give_one_clear_error(name, data, message):
    with pytest.raises(ArticleError, match=message):
        list(from_bytes(name, data))


# --- a date line where articles put it: under a headline or a byline --------------------------

def prepared(text, name="story.txt"):
    (draft,) = from_bytes(name, text.encode())
    return prepare(draft, nlp.ingest()(draft.text), TODAY, 800, 1)


@pytest.mark.parametrize("head, evidence", [
    ("Port strike ends after nine days\ndate 2025-03-14\n", "date 2025-03-14"),
    ("Port strike ends after nine days\nBy Jane Doe\ndate 2025-03-14\n", "date 2025-03-14"),
    ("Port Strike Ends\nBy Jane Doe and John Roe, Baltic Wire\nPublished: March 14, 2025 at 9:05 a.m. EST\n",
     "Published: March 14, 2025 at 9:05 a.m. EST"),
    ("Port Strike Ends\nFriday, 14 March 2025 10:32 GMT\n", "Friday, 14 March 2025 10:32 GMT"),
    ("14 March 2025\nPort Strike Ends\n", "14 March 2025"),
])
def test_a_date_line_under_a_headline_or_byline_is_stated(head, evidence):
    p = prepared(head + "\nThe dock workers' strike at the port ended on Friday, the union said. "
                        "The last strike, in 2019, lasted three days.\n")
    a = p.article
    assert (a.published.value, a.published.inferred, a.published.evidence) == ("2025-03-14", False, evidence)
    assert a.title.lower() == "port strike ends" or a.title == "Port strike ends after nine days"
    assert not a.title_inferred and a.title_evidence == "headline line"
    assert all(evidence not in x.text for x in p.passages)  # the date line is no story


def test_a_date_in_the_story_is_not_a_date_line():
    text = ("Port strike ends after nine days\n\nThe dock workers' strike at the port of Gdansk ended on Friday "
            "after nine days of talks with the owners, the union said on its website.\n2019-05-02\n")
    a = prepared(text).article
    assert a.published.inferred  # read off the story, not stated
    # and a sentence-case line with neither byline nor date line under it is no headline
    assert prepared("Port strike ends after nine days\n\nThe strike ended on Friday, the union said.\n").article.title_inferred


def test_source_and_title_say_how_they_were_found():
    tasnim = seed("003_9635e7a99c58f50c").article
    assert tasnim.source_evidence.startswith("dateline: TEHRAN (Tasnim)") and tasnim.title_evidence == "headline line"
    mehr = seed("000_a2e96b1a236249f5").article
    assert mehr.source_evidence.startswith("credit line: All Content by Mehr News Agency")
    assert mehr.title_evidence == "made from the first sentence"
    stated = prepared("title: Dam opens\nsource: Example Wire\n\nThe dam opened on Tuesday.\n").article
    assert (stated.title_evidence, stated.source_evidence) == ("metadata", "metadata")
    assert seed("004_cf2dca9934893808").article.source_evidence is None


# --- corrections by hand ------------------------------------------------------------------------

def test_a_correction_is_stated_and_says_what_was_detected():
    from qa.ingest.corrections import apply

    a = seed("002_fcf7af4745e890eb").article
    fixed = apply(a, {"published": "2020-07-21", "title": "  Al-Kadhimi  to visit Iran ", "url": None}, TODAY)
    assert (fixed.published.value, fixed.published.inferred) == ("2020-07-21", False)
    assert fixed.published.evidence == "corrected by hand (detected: 2020 (inferred))"
    assert (fixed.title, fixed.title_inferred, fixed.title_evidence) == ("Al-Kadhimi to visit Iran", False, "corrected by hand")
    assert fixed.text == a.text and fixed.source == a.source
    assert apply(a, {"published": "2020-07"}, TODAY).published.precision == "month"
    assert apply(a, {"published": None}, TODAY).published is None


@pytest.mark.parametrize("changes, message", [
    ({"published": "2025-02-30"}, "published: expected a date"),
    ({"published": "March 14, 2025"}, "published: expected a date"),
    ({"published": "2027-01-01"}, "after today"),
    ({"title": ""}, "title: can't be empty"),
    ({"url": "ftp://x"}, "url: expected an http"),
    ({"text": "x"}, "can't correct text"),
])
def test_a_bad_correction_says_why(changes, message):
    from qa.ingest.corrections import CorrectionError, apply

    with pytest.raises(CorrectionError, match=message):
        apply(seed("002_fcf7af4745e890eb").article, changes, TODAY)
