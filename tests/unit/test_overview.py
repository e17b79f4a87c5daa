"""The first screen's figures and example questions (qa/overview.py), over articles made here."""
from datetime import date

from qa.overview import examples, scan, with_examples
from qa.text.dates import published_date
from qa.types import Answer, Article, Citation


def article(doc_id, text, published=None, source=None):
    pub = published_date(date.fromisoformat(published), "day", False, "test") if published else None
    return Article(id=doc_id, title=text.split(".")[0], title_inferred=True, source=source, published=pub, text=text)


ARTICLES = [
    article("old", "Prime Minister Anna Berg met the mayor in Oslo on Monday.", "2020-03-02", "Nord Wire"),
    article("new", "Foreign Minister Karl Lund visited Bergen on Tuesday and met the governor.", "2024-05-07", "Nord Wire"),
    article("undated", "Finance Minister Eva Holm met bankers in Trondheim.", None, "Fjord Post"),
    article("nameless", "Rain fell in the valley all week.", "2023-01-01", None),
]


def answer(doc_id, confidence=0.9, abstained=False):
    cite = Citation(n=1, doc_id=doc_id, title="t", source=None, url=None, published=None, published_inferred=False,
                    quote="q", start=0, end=1)
    return Answer(answer="x [1]", abstained=abstained, confidence=confidence, standalone_question="q",
                  citations=[] if abstained else [cite])


def test_an_example_is_kept_only_when_its_own_article_answers_it_with_confidence():
    asked = []

    def ask(q):
        asked.append(q)
        if "Karl Lund" in q:
            return answer("old")  # answered, but from another article: not an example of this one
        if "Anna Berg" in q:
            return answer("old") if q.endswith("meet?") else answer("old", confidence=0.2)
        return answer("undated", abstained="Holm" not in q)

    found = examples([a for a in ARTICLES], ask)
    assert found == ["Who did Anna Berg meet?", "Who did Eva Holm meet in Trondheim?"]
    assert any("Karl Lund" in q for q in asked) and not any("valley" in q for q in asked)


def test_a_question_two_articles_invite_is_asked_once():
    asked = []

    def ask(q):
        asked.append(q)
        return answer("none", abstained=True)

    twice = [article("a", "Prime Minister Anna Berg met the mayor in Oslo on Monday.", "2024-01-02"),
             article("b", "Prime Minister Anna Berg met the mayor in Oslo again.", "2024-01-09")]
    assert examples(twice, ask) == []
    assert asked and len(asked) == len(set(asked))


def test_scan_counts_sources_dates_and_orders_newest_first():
    by_id = {a.id: a for a in ARTICLES}

    def page(offset, limit):
        return ARTICLES[offset:offset + limit], len(ARTICLES)

    cat = scan(page, 40)
    o = with_examples(cat, by_id.get, lambda q: answer("none", abstained=True))
    assert (o.articles, o.passages, o.undated, o.unknown_source) == (4, 40, 1, 1)
    assert [(s.name, s.articles) for s in o.sources] == [("Nord Wire", 2), ("Fjord Post", 1)]
    assert (o.earliest, o.latest, o.examples) == ("2020-03-02", "2024-05-07", [])
    assert cat.newest == ["new", "nameless", "old", "undated"]
