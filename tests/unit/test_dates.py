from datetime import date

import pytest

from qa.text.dates import parse_absolute, question_time, stated_time, states_time

REF = date(2026, 11, 22)


@pytest.mark.parametrize("question, start, end", [
    ("Who invited Zarif to Baghdad in 2025?", date(2025, 1, 1), date(2025, 12, 31)),
    ("What happened in February 2025?", date(2025, 2, 1), date(2025, 2, 28)),
    ("Who met Shamkhani on May 8, 2020?", date(2020, 5, 8), date(2020, 5, 8)),
    ("What did Iran say last year?", date(2025, 1, 1), date(2025, 12, 31)),
    ("What did Iran say this month?", date(2026, 11, 1), date(2026, 11, 30)),
    ("Which deals were signed between 2019 and 2021?", date(2019, 1, 1), date(2021, 12, 31)),
])
def test_question_time(question, start, end):
    r = question_time(question, REF)
    assert (r.start, r.end) == (start, end)


def test_relative_time_uses_the_reference_date():
    r = question_time("Who visited Iraq last year?", date(2021, 3, 1))
    assert (r.start, r.end) == (date(2020, 1, 1), date(2020, 12, 31))


def test_no_time():
    assert question_time("Who heads UNAMI?", REF) is None


@pytest.mark.parametrize("text, expected", [
    ("January 3, 2020", (date(2020, 1, 3), "day")),
    ("September 2024", (date(2024, 9, 1), "month")),
    ("2015", (date(2015, 1, 1), "year")),
    ("2025-02-07", (date(2025, 2, 7), "day")),
    ("Tuesday", None),
    ("2019-2020", None),
])
def test_parse_absolute(text, expected):
    assert parse_absolute(text) == expected


MONDAY = date(2024, 1, 8)


@pytest.mark.parametrize("phrase, start, end", [
    ("Friday", date(2024, 1, 5), date(2024, 1, 5)),  # the Friday before a Monday paper
    ("on Monday", MONDAY, MONDAY),  # ... and its own day
    ("Jan. 5", date(2024, 1, 5), date(2024, 1, 5)),
    ("last week", date(2024, 1, 1), date(2024, 1, 7)),
    ("yesterday", date(2024, 1, 7), date(2024, 1, 7)),
    ("last year", date(2023, 1, 1), date(2023, 12, 31)),
    ("March 2023", date(2023, 3, 1), date(2023, 3, 31)),
])
def test_a_sentence_date_is_read_from_its_article_day(phrase, start, end):
    r = stated_time(phrase, MONDAY)
    assert (r.start, r.end) == (start, end)


def test_relative_dates_need_the_article_day():
    assert stated_time("Friday", None) is None and stated_time("last week", None) is None
    assert stated_time("decades", MONDAY) is None


def test_states_time():
    last_week = question_time("last week", date(2024, 1, 12))
    assert states_time(["Friday"], last_week, MONDAY)
    assert not states_time(["Friday"], last_week, date(2024, 1, 15))  # that Friday is the 12th
    assert not states_time(["this month"], last_week, MONDAY)  # overlaps, doesn't lie within
    assert not states_time(["Friday"], last_week, None)
    assert states_time(["2024"], question_time("in January 2024", REF), None)  # an absolute year counts
    assert states_time([], None, None)  # no time asked


@pytest.mark.parametrize("phrase, is_time", [
    ("Thursday", True), ("next week", True), ("2020", True), ("May 8, 2020", True), ("the 1990s", True),
    ("three years ago", True), ("Wednesday night", True),
    ("47", False), ("47-year-old", False), ("three years", False), ("two weeks", False), ("decades", False),
])
def test_a_date_phrase_names_a_time_or_an_amount_of_it(phrase, is_time):
    from qa.text.dates import names_a_time

    assert names_a_time(phrase) is is_time


def test_a_weekday_in_a_sentence_about_what_is_to_come_is_the_next_one():
    from qa.text.dates import stated_time

    monday = date(2025, 1, 20)
    assert stated_time("Thursday", monday).start == date(2025, 1, 16)  # news: the last Thursday
    assert stated_time("Thursday", monday, ahead=True).start == date(2025, 1, 23)
    assert stated_time("last Thursday", monday, ahead=True).start == date(2025, 1, 16)
