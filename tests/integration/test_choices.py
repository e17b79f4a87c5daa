"""Multiple choice and open-kind questions on articles written for these tests, with the real
models: each option scored by the sentences that support it, the kind a question asks for
weighed, and a time ahead of the asking day not taken for a publication date."""
from datetime import date

import pytest

from qa.types import Query

from qa.ask.choices import pick
from qa.reading import Trace
from qa.ingest.readers import from_text
from tests.integration.test_answer_types import archive_of

HARBOUR = """title: Portvale harbour festival draws record crowds
source: Harbour Post
published: 2024-05-10

PORTVALE – The harbour festival drew 41,000 visitors on its opening day, organisers said on Friday.
The rowing regatta was won by the Kestrel club.
The Heron and Osprey crews rowed in the harbour parade.
The town council banned the sale of glass bottles on the quay after last year's injuries.
Health officials reported an outbreak of measles at the Portvale primary school, which closed for a week.
Mayor Susan Clark said the festival will return next month with a night market.
"""

OLD = """title: Portvale festival plans
source: Harbour Post
published: 2021-05-02

PORTVALE – Mayor Peter Hall said the festival will return next month with a boat parade.
"""


@pytest.fixture(scope="module")
def harbour(settings, embedder, tmp_path_factory):
    a = archive_of(settings, embedder, tmp_path_factory.mktemp("harbour"), "harbour", HARBOUR)
    a.ingest_drafts([from_text("old", OLD)])
    yield a
    a.close()


def chosen(archive, question, options, as_of=date(2024, 5, 12)):
    top = pick(question, archive.choose(Query(question, as_of=as_of), options))
    return top.choice if top else None


def test_the_option_the_news_supports_is_chosen(harbour):
    options = ["Heron", "Kestrel", "Osprey", "Albatross"]
    assert chosen(harbour, "Which club won the rowing regatta at the Portvale harbour festival?", options) == "Kestrel"


def test_a_negated_question_takes_the_option_the_news_does_not_support(harbour):
    options = ["Kestrel", "Heron", "Osprey", "Albatross"]
    assert chosen(harbour, "Which of the following crews did not row in the Portvale regatta?", options) == "Albatross"


def test_no_support_for_any_option_is_no_guess(harbour):
    assert chosen(harbour, "Which airline flies to the moon base?", ["Lunair", "Craterjet"]) is None


def test_each_choice_cites_its_sentence(harbour):
    scored = harbour.choose(Query("Which club won the rowing regatta?", as_of=date(2024, 5, 12)), ["Kestrel", "Albatross"])
    assert scored[0].doc_id == "harbour" and "Kestrel" in scored[0].quote
    assert scored[1].support == 0 and scored[1].quote is None


def test_a_time_ahead_is_not_a_publication_date(harbour):
    # "next month" is when the festival returns: the article saying so was published before it,
    # but not years before (the 2021 article's "next month" was another one).
    got = harbour.ask(Query("Who said the festival will return next month?", as_of=date(2024, 5, 12)))
    assert not got.abstained and "Susan Clark" in got.answer and got.citations[0].doc_id == "harbour"


def reading(archive, question) -> Trace:
    """What the reader weighed; its best candidate is before the abstention threshold (which
    holds open-kind answers to a high bar: on the news weeks they are seldom right)."""
    trace = Trace()
    archive.ask(Query(question, as_of=date(2024, 5, 12)), trace=trace)
    return trace


def test_common_noun_phrases_are_candidates_for_an_open_what_question(harbour):
    read = reading(harbour, "The Portvale town council banned the sale of what on the quay?")
    assert "glass bottles" in [text for text, _ in read.candidates]
    assert "glass bottles" in read.candidate  # the phrase, or the rules' whole sentence


def test_the_kind_asked_for_is_weighed(harbour):
    # "Health officials" is in the same sentence, as near the question's words; a disease is asked for.
    assert reading(harbour, "An outbreak of which disease closed the Portvale primary school?").candidate == "measles"
