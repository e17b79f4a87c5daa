"""The eval's split by the day asked: questions a learned part may be tuned on, and held-out ones."""
from datetime import date

from eval.metrics import summarise
from eval.report import markdown
from eval.runner import Outcome


def outcome(n: int, as_of: date, right: bool, in_corpus: bool) -> Outcome:
    answer = "Ford" if right else "Toyota"
    return Outcome(id=str(n), type="news-quiz", question="Which automaker?", standalone="Which automaker?",
                   gold=["Ford"], answer=answer, candidate=answer, abstained=False, confidence=0.9, cited=["a"],
                   retrieved=["a"], sources=["a"] if in_corpus else [], em=float(right), f1=float(right),
                   contained=float(right), candidate_em=float(right), wrong_year=False, timings_ms={"total": 1.0},
                   as_of=as_of)


def test_held_out_questions_are_scored_apart_from_those_tuned_on():
    early, late = date(2024, 3, 1), date(2024, 3, 8)
    outs = [outcome(1, early, True, True), outcome(2, early, True, False),
            outcome(3, late, True, True), outcome(4, late, False, True), outcome(5, late, False, False)]
    split = summarise(outs, 0.5, held_out_from=date(2024, 3, 2))["by_period"]
    assert split["tuned_on"]["all"]["n"] == 2 and split["tuned_on"]["all"]["exact_match"] == 1.0
    assert split["held_out"]["all"]["n"] == 3 and split["held_out"]["all"]["exact_match"] == 0.333
    assert split["held_out"]["answer_in_corpus"]["exact_match"] == 0.5
    assert summarise(outs, 0.5)["by_period"] is None  # only where asked for


def test_the_report_shows_the_held_out_columns():
    outs = [outcome(1, date(2024, 1, 5), True, True), outcome(2, date(2024, 3, 8), False, True)]
    result = summarise(outs, 0.5, held_out_from=date(2024, 3, 2))
    result.update(questions_file="q.jsonl", corpus={"path": "c", "articles": 1, "passages": 1}, settings={},
                  outcomes=[])
    text = markdown(result)
    assert "| metric | tuned_on all | tuned_on in corpus | held_out all | held_out in corpus |" in text
    assert "| exact_match | 1.0 | 1.0 | 0.0 | 0.0 |" in text


def test_questions_an_article_of_the_month_before_answers_are_scored_apart():
    from dataclasses import replace

    late = date(2024, 3, 8)
    outs = [replace(outcome(1, late, True, True), recent_sources=["a"]), outcome(2, late, False, True),
            outcome(3, late, False, False)]
    result = summarise(outs, 0.5, held_out_from=date(2024, 3, 2))
    assert result["answer_in_recent_article"]["n"] == 1 and result["answer_in_recent_article"]["exact_match"] == 1.0
    assert result["answer_in_corpus"]["n"] == 2
    assert result["by_period"]["held_out"]["answer_in_recent_article"]["n"] == 1
    result.update(questions_file="q.jsonl", corpus={"path": "c", "articles": 1, "passages": 1}, settings={},
                  outcomes=[])
    assert "| held_out all | held_out in corpus | held_out in a recent article |" in markdown(result)
    assert "| metric | all questions | answer in corpus | answer in a recent article |" in markdown(result)
    # Every question in corpus: no "in corpus" column, but the recent one stays.
    alike = summarise([replace(o, sources=["a"]) for o in outs], 0.5)
    alike.update(questions_file="q.jsonl", corpus={"path": "c", "articles": 1, "passages": 1}, settings={},
                 outcomes=[])
    assert alike["answer_in_corpus"] is None
    assert "| metric | all questions | answer in a recent article |" in markdown(alike)
    assert summarise(outs[1:], 0.5)["answer_in_recent_article"] is None  # none recent: no column


def test_a_recent_article_is_one_of_the_month_before_the_day_asked():
    from eval.runner import _recent

    asked = date(2024, 3, 8)
    assert _recent((date(2024, 3, 1), date(2024, 3, 1)), asked)
    assert _recent((date(2024, 2, 6), date(2024, 2, 6)), asked)  # 31 days before
    assert not _recent((date(2024, 2, 5), date(2024, 2, 5)), asked)
    assert not _recent((date(2024, 3, 9), date(2024, 3, 9)), asked)  # after the day asked
    assert not _recent(None, asked)  # undated: not known to be recent
    assert not _recent((date(2024, 3, 1), date(2024, 3, 1)), None)  # no day asked: nothing is recent
    assert not _recent((date(2023, 1, 1), date(2023, 12, 31)), date(2024, 1, 2))  # only its year known: maybe old


def test_a_reader_miss_is_split_into_a_candidate_miss_and_a_ranking_miss():
    """Of the answerable questions got wrong with the answer in the passages, those where no
    candidate the reader ranked is a gold answer, and those where one is but was not given; a
    question the reader's candidates do not speak for (a generator wrote the answer) is in
    neither, and the report says so."""
    from dataclasses import replace

    day = date(2024, 1, 5)
    outs = [replace(outcome(1, day, True, True), answer_retrieved=True, answer_in_candidates=True),
            replace(outcome(2, day, False, True), answer_retrieved=True, answer_in_candidates=True),
            replace(outcome(3, day, False, True), answer_retrieved=True, answer_in_candidates=False),
            replace(outcome(4, day, False, True), answer_retrieved=True, answer_in_candidates=False),
            replace(outcome(5, day, False, True), answer_retrieved=False, answer_in_candidates=False),
            replace(outcome(6, day, False, True), answer_retrieved=True, answer_in_candidates=None)]
    o = summarise(outs, 0.5)["overall"]
    assert o["miss_reader"] == 4 and o["miss_retrieval"] == 1
    assert (o["miss_candidates"], o["miss_ranking"]) == (2, 1)
    assert o["answer_in_candidates"] == 0.4  # 2 of the 5 whose candidates were ranked
    result = summarise(outs, 0.5)
    result.update(questions_file="q.jsonl", corpus={"path": "c", "articles": 1, "passages": 1}, settings={},
                  outcomes=[])
    text = markdown(result)
    assert "Of the reader's misses, 2 had no candidate that is a gold answer, and in 1 one was ranked" in text
    assert "; 1 are not split (a generator wrote the answer" in text
    # No candidates ranked anywhere (no ranker, or every answer a generator's): no split is claimed.
    plain = summarise([replace(x, answer_in_candidates=None) for x in outs], 0.5)
    assert plain["overall"]["answer_in_candidates"] is None
    assert plain["overall"]["miss_candidates"] is None and plain["overall"]["miss_ranking"] is None
    plain.update(questions_file="q.jsonl", corpus={"path": "c", "articles": 1, "passages": 1}, settings={},
                 outcomes=[])
    assert "Of the reader's misses" not in markdown(plain)


def test_answer_in_candidates_is_an_exact_gold_answer_among_them():
    from eval.metrics import answer_in_candidates

    assert answer_in_candidates(["Jon Stewart"], ["Stewart", "jon stewart"]) is True  # normalised
    assert answer_in_candidates(["Jon Stewart"], ["Stewart", "The Daily Show"]) is False  # close is not exact
    assert answer_in_candidates(["Jon Stewart"], []) is False  # the reader ranked, and found none
    assert answer_in_candidates([], ["Stewart"]) is None  # unanswerable
    assert answer_in_candidates(["Jon Stewart"], ["Jon Stewart"], ranked=False) is None  # not the reader's answer
