"""Asked as of a day, an article of unknown date stays eligible but ranks after a dated one
that answers as well (real models, articles written for this test)."""
from datetime import date

from qa.reading import Trace
from qa.types import Query
from qa.ingest.readers import from_text
from tests.integration.test_answer_types import archive_of

DATED = """title: Portvale picks a harbour master
source: Harbour Post
published: 2024-04-02

PORTVALE – The town council appointed Helen Walker as harbour master on Tuesday.
"""

UNDATED = """title: Portvale town council appoints harbour master

PORTVALE – The Portvale town council appointed David Moore as harbour master, the town council said.
"""


def test_an_undated_article_ranks_after_a_dated_one(settings, embedder, tmp_path):
    a = archive_of(settings, embedder, tmp_path, "dated", DATED)
    a.ingest_drafts([from_text("undated", UNDATED)])
    question = "Who did the Portvale town council appoint as harbour master?"
    try:
        free, as_of = Trace(), Trace()
        a.ask(question, trace=free)
        got = a.ask(Query(question, as_of=date(2024, 6, 1)), trace=as_of)
        assert free.retrieved == ["undated", "dated"]  # the closer match, with no day asked
        assert as_of.retrieved == ["dated", "undated"]  # both still read, the dated one first
        assert got.date_unknown == (got.citations[0].doc_id == "undated")
    finally:
        a.close()


def test_an_undated_article_alone_still_answers_as_of_a_day(settings, embedder, tmp_path):
    a = archive_of(settings, embedder, tmp_path, "undated", UNDATED)
    try:
        got = a.ask(Query("Who did the Portvale town council appoint as harbour master?", as_of=date(2024, 6, 1)))
        assert not got.abstained and "David Moore" in got.answer and got.date_unknown
    finally:
        a.close()
