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


def test_negated_options_pick_the_least_supported():
    scored = [ChoiceSupport("A", 0.9), ChoiceSupport("B", 0.1), ChoiceSupport("C", 0.5)]
    assert pick("Which of the following was not elected?", scored).choice == "B"
    assert pick("Which of the following wasn’t elected?", scored).choice == "B"
    assert pick("Which of these was elected?", scored).choice == "A"
    assert pick("Which was elected?", [ChoiceSupport("A", 0.0)]) is None


def test_option_words_drop_stop_words_unless_nothing_is_left():
    assert option_words("The Kansas City Chiefs") == option_words("Kansas City Chiefs")
    assert option_words("None of the above") and option_words("it")


def test_phrase_vectors_embed_each_text_once():
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 3), dtype=np.float32)

    vectors = PhraseVectors(encode, size=2)
    vectors(["a", "b", "a"])
    vectors(["b"])
    assert calls == [["a", "b"]]
    vectors(["c"])  # evicts the least recently used, "a"
    vectors(["a"])
    assert calls[-1] == ["a"]


def test_a_time_ahead_admits_reports_from_as_long_before():
    from qa.ask.question import ahead_since

    info = analyse("Which comedian will return to late-night TV next month?", date(2024, 1, 26))
    assert info.ahead is not None and ahead_since(info.ahead, date(2024, 1, 26)) == date(2023, 12, 23)
