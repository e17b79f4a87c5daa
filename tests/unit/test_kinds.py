"""What kind of thing a question asks for, the common-noun phrases of a sentence, and the
negated multiple-choice form (spaCy's small tagger only)."""
from datetime import date

import numpy as np
import pytest

from qa.ask.choices import ChoiceSupport, option_words, pick
from qa.ask.question import analyse
from qa.ask.extractive.typefit import PhraseVectors, asked_kind


@pytest.mark.parametrize("question,kind", [
    ("Which island nation recently elected a new leader?", "island nation"),
    ("Which type of event placed millions of Americans under weather alerts?", "event"),
    ("Cases of which sexually transmitted disease hit a 75-year high?", "sexually transmitted disease"),
    ("What is the name of the Intuitive Machines spacecraft that landed on the Moon?", "spacecraft"),
    ("Which tech giant surpassed Apple last Friday?", "tech giant"),
    ("Who invited Zarif to Baghdad in 2025?", None),
    ("South Korea banned the sale of what?", None),
])
def test_the_kind_asked_for(question, kind):
    assert asked_kind(analyse(question, date(2024, 2, 1))) == kind


def test_a_time_ahead_of_the_asking_day_is_no_time_filter():
    info = analyse("Which comedian will return to late-night TV next month?", date(2024, 1, 26))
    assert info.time is None
    assert analyse("Which comedian returned to late-night TV last month?", date(2024, 1, 26)).time is not None


@pytest.mark.parametrize("question,duration", [
    ("How many days after the strike did Iran retaliate?", True),
    ("How many hours did the flight take?", True),
    ("How many people died in the fire?", False),
    ("How many seats did the party win?", False),
    ("How many times did the rocket fail?", False),  # a count of events, not of a time unit
    ("How many centuries did the empire last?", True),
])
def test_a_count_of_a_time_unit_is_a_span_of_time(question, duration):
    from qa.ask.question import DURATION, NUMBER

    assert analyse(question, date(2024, 2, 1)).labels == (DURATION if duration else NUMBER)


@pytest.mark.parametrize("question", [
    "What was the magnitude of the earthquake near Kermanshah?",
    "What was the death toll of the floods?",
    "What is the population of Basra?",
])
def test_a_measure_asks_for_a_figure(question):
    from qa.ask.question import NUMBER

    assert analyse(question, date(2024, 2, 1)).labels == NUMBER


@pytest.mark.parametrize("question,label,text,fits", [
    ("When did the strike start?", "DATE", "Thursday", True),
    ("When did the strike start?", "DATE", "three years", False),  # how long, not when
    ("How many days after the strike did Iran retaliate?", "DATE", "Five days", True),
    ("How many days after the strike did Iran retaliate?", "DATE", "January 3, 2020", False),  # when, not how long
    ("How long did the strike last?", "DATE", "two weeks", True),
    ("How long did the strike last?", "DATE", "last week", False),
    ("How long ago did the strike start?", "DATE", "three years ago", True),  # placed, still an amount
    ("How many hours did the strike last?", "TIME", "8 a.m.", False),  # a clock time says when
    ("How many hours did the strike last?", "TIME", "three hours", True),
    ("Who led the strike?", "PERSON", "Ann Lee", True),  # not a time: not judged here
])
def test_a_date_fits_when_or_how_long_as_it_says_a_point_or_a_span(question, label, text, fits):
    from qa.ask.extractive.entities import time_fits

    assert time_fits(analyse(question, date(2024, 2, 1)), label, text) is fits


@pytest.mark.parametrize("question,role", [
    ("Who was Iran's president when Iraq's prime minister came to Tehran?", "president"),
    ("Who is the speaker of the parliament that the prime minister met?", "speaker"),
    ("Who is the Kurdistan Regional Government president who invited Zarif?", "president"),
    ("Who invited Zarif to Baghdad in 2025?", None),  # a verb, no role
    ("Who is Joe Biden?", None),  # a name, no role
])
def test_a_who_question_names_the_role_the_answer_holds(question, role):
    from qa.text.tokens import stem

    assert analyse(question, date(2024, 2, 1)).role == (stem(role) if role else None)


@pytest.mark.parametrize("question,title", [
    ("Who is the current prime minister of Iraq?", {"prime", "minister"}),  # not "current"
    ("Who was Iran's president when Iraq's prime minister came to Tehran?", {"president"}),  # its own title only
    ("Who's the new foreign minister?", {"foreign", "minister"}),
    ("Who is the man who shot the senator?", {"man"}),  # the role, not the victim's title
    ("Who’s the CEO of the airline?", {"CEO"}),
    ("Who shot the senator?", {"senator"}),  # no role: the question's title words
])
def test_the_title_asked_for_is_the_roles_title_words(question, title):
    from qa.ask.extractive.entities import asked_title
    from qa.text.tokens import stem

    assert asked_title(analyse(question, date(2024, 2, 1))) == {stem(w) for w in title}


@pytest.mark.parametrize("text,amount", [
    ("six days later", "six days"), ("a week on", "a week"), ("2 hours after", "2 hours"),
    ("the day before", None),  # no count: not an amount of time
    ("January 3 later", None), ("days later", None),
    ("twenty years ago", "twenty years"), ("two and a half years later", "two and a half years"),
    ("30 seconds later.", "30 seconds"), ("six months afterward", "six months"), ("a century ago", "a century"),
])
def test_an_amount_of_time_is_cut_before_the_word_that_places_it(text, amount):
    from qa.ask.extractive.entities import placed_amount

    cut = placed_amount(text)
    assert (text[:cut] if cut is not None else None) == amount


@pytest.mark.parametrize("question,negated", [
    ("Which of the following was not elected?", True),
    ("Which of the following wasn’t elected?", True),
    ("Which one of the following did not win?", True),
    ("Which of these films was never nominated?", True),
    ("All of these were nominated, except which of these films?", False),  # the form, not the word
    ("Which of these films were nominated, except one?", True),
    ("Which of the following is not only a sport but an art?", False),
    ("Which of these was elected?", False),
    ("Which candidate did not concede?", False),  # not a choice among options: no negated pick
])
def test_negated_option_questions(question, negated):
    scored = [ChoiceSupport("A", 0.9), ChoiceSupport("B", 0.1), ChoiceSupport("C", 0.5)]
    assert pick(question, scored).choice == ("B" if negated else "A")


def test_no_supported_option_is_no_pick():
    assert pick("Which was elected?", [ChoiceSupport("A", 0.0)]) is None
    assert pick("Which was elected?", []) is None


def test_option_words_drop_stop_words_unless_nothing_is_left():
    assert option_words("The Kansas City Chiefs") == option_words("Kansas City Chiefs")
    assert len(option_words("None of the above")) == 4  # all stop words: all kept, not just "above"
    assert option_words("it") == ["it"]
    assert option_words("New York, New York") == option_words("New York")  # each word once


def test_noun_phrases_end_in_their_noun_and_keep_four_words():
    from qa.ask.extractive.chunks import noun_phrases
    from qa.reading import Sentence
    from qa.ask.retrieval import RetrievedPassage
    from qa.types import Article, Passage, Span

    text = "Portvale news. The council banned the sale of glass bottles and a very big red shiny new car on the quay."
    span = Span(15, len(text))
    hit = RetrievedPassage(1, Passage("d", 0, 0, len(text), text, [span], []), Article(id="d", title="t", text=text),
                           1.0, 0)
    found = {text[a:b] for _, a, b in noun_phrases([Sentence(hit, span, text[15:], 1.0, [])])}
    assert {"council", "sale", "glass bottles", "quay"} <= found
    assert "red shiny new car" in found  # the last four words of a longer run


def test_phrase_vectors_embed_each_text_once_and_evict_the_least_recently_used():
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 3), dtype=np.float32)

    vectors = PhraseVectors(encode, size=2)
    vectors(["a", "b", "a"])
    vectors(["b"])
    assert calls == [["a", "b"]]
    vectors(["a"])  # "a" used last: "b" is now the least recently used
    vectors(["c"])  # evicts "b", not "a" (first in, but used since)
    vectors(["a"])
    assert calls[-1] == ["c"]
    vectors(["b"])
    assert calls[-1] == ["b"]


def test_a_time_ahead_admits_reports_from_as_long_before():
    from qa.ask.question import ahead_since

    info = analyse("Which comedian will return to late-night TV next month?", date(2024, 1, 26))
    assert info.ahead is not None and ahead_since(info.ahead, date(2024, 1, 26)) == date(2023, 12, 23)


def test_a_number_written_in_the_question_is_a_question_term():
    from qa.ask.extractive.scoring import mentions_question

    info = analyse("How many Boeing 737 Max 9 jets were grounded this month?", date(2024, 1, 26))
    assert "9" in [t.text for t in info.terms]
    assert mentions_question("9", info)  # "Max 9" names the jet, it doesn't count them
    assert not mentions_question("171", info)


def test_a_short_form_knows_the_longer_candidate_that_holds_it():
    from types import SimpleNamespace

    from qa.ask.extractive.reader import _forms

    found = [SimpleNamespace(text=t) for t in ("Biden", "Joe Biden", "President Joe Biden", "Biden", "Formella")]
    forms = _forms(found)  # per folded text: (log of extra mentions, has a longer form, log1p of shorter ones)
    assert forms["biden"][1] == 1.0 and forms["biden"][0] > 0  # written twice, and held by "Joe Biden"
    assert forms["joe biden"][1] == 1.0 and forms["joe biden"][2] > 0
    assert forms["president joe biden"][1] == 0.0 and forms["president joe biden"][2] > forms["joe biden"][2]
    assert forms["formella"] == (0.0, 0.0, 0.0)


def test_the_focus_phrase_is_found_whether_or_not_the_word_pattern_splits_the_focus():
    # Sentences without the focus noun are not parsed (the parse is what costs); a focus that the
    # word pattern splits ("G-20") must still be looked for with spaCy's own tokens.
    from qa.ask.extractive.phrases import focus_answer
    from qa.reading import Sentence
    from qa.ask.retrieval import RetrievedPassage
    from qa.types import Article, Passage, Span

    def sentences(*texts):
        out = []
        for n, text in enumerate(texts):
            span = Span(0, len(text))
            hit = RetrievedPassage(n, Passage(f"d{n}", 0, 0, len(text), text, [span], []),
                                   Article(id=f"d{n}", title="t", text=text), 1.0, 0)
            out.append(Sentence(hit, span, text, 1.0 - n / 10, []))
        return out

    info = analyse("Which conference did Portvale host in March?", date(2024, 4, 1))
    found = focus_answer(info, sentences("The mayor opened the new quay on Monday.",
                                         "Portvale hosted the Northern Harbours Conference in March."))
    assert found is not None and found.text.endswith("Northern Harbours Conference")
    info = analyse("What is the G-20?", date(2024, 4, 1))
    assert info.focus == "g-20"
    found = focus_answer(info, sentences('The G-20 "Group of Twenty" met in Rome.'))
    assert found is not None and found.text.startswith("The G-20")


def test_the_proper_names_of_a_question_leave_out_its_figures_and_times():
    info = analyse("Which automaker recalled more than 870,000 trucks in Canada last week?", date(2024, 2, 1))
    assert info.proper == ["Canada"]
