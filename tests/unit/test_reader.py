"""The learned reader's parts that need no embedding model: its ranker file, the calibration and
the threshold choice."""
import json

from eval.train_reader import Asked, best_threshold
from qa.ask.extractive.ranker import FALLING, MODEL_FILE, RISING, load_ranker, monotone
from qa.ask.extractive.reader import LABEL_CLASSES, WH_CLASSES


def test_the_ranker_is_plain_text_with_a_calibration_and_a_threshold():
    data = json.loads(MODEL_FILE.read_text())
    assert 0.0 <= data["abstain_below"] <= 1.0
    trained = data["trained_on"]  # never the validation quarter (nor, in 2024 q1 alone, weeks 10-13)
    if "realtimeqa_quarters" in trained:
        assert trained["realtimeqa_quarters"] and "realtimeqa-2024q4" not in trained["realtimeqa_quarters"]
    else:
        assert "1-9" in trained["realtimeqa_2024q1_weeks"]
    assert all(text.startswith("tree\n") for text in data["boosters"])  # LightGBM's text format, not a pickle
    ranker = load_ranker()
    assert ranker is not None and list(ranker.features) == data["features"]
    assert ranker.scale > 0  # a higher score is a likelier answer
    assert 0.0 < ranker.probability(0.0) < 1.0


def test_every_constraint_names_a_feature_the_ranker_reads():
    features = set(load_ranker().features)
    assert (RISING | FALLING) <= features
    assert all(f.startswith(("wh=", "rule_kind=")) or "=" not in f for f in features)
    assert {f.split("|label=")[1] for f in features if "|label=" in f} <= set(LABEL_CLASSES.values()) | {"other"}
    assert {f.split("|")[0][3:] for f in features if f.startswith("wh=")} <= set(WH_CLASSES)


def test_monotone_constraints_follow_the_features_order():
    assert monotone(["proximity", "generic", "tokens_1"]) == [1, -1, 0]


def test_the_threshold_is_judged_on_the_seeds_with_the_widest_margin():
    seeds = [Asked([("A", {})], [], "seeds", in_archive=False), Asked([("A", {})], [], "seeds", in_archive=False),
             Asked([("A", {})], ["A"], "seeds"), Asked([("A", {})], ["A"], "seeds")]
    news = [Asked([("B", {})], ["A"], "news")]  # not judged on
    tops = [(0.02, False), (0.1, False), (0.5, True), (0.7, True), (0.9, False)]
    threshold, right = best_threshold(seeds + news, tops)
    # Every cut in (0.1, 0.5] gets all four seeds right; the middle of 0.1 and 0.5 is taken.
    assert right == 1.0 and threshold == 0.3


def test_the_threshold_lies_above_every_probability_it_abstains_on():
    # An unanswerable seed at 0.0246, a right answer at 0.0284: rounded to 0.025, the cut was once
    # counted as abstaining on the first, and the middle (0.024) answered it.
    seeds = [Asked([("A", {})], [], "seeds", in_archive=False), Asked([("A", {})], [], "seeds", in_archive=False),
             Asked([("A", {})], ["A"], "seeds"), Asked([("A", {})], ["A"], "seeds")]
    tops = [(0.0199, False), (0.0246, False), (0.0284, True), (0.3, True)]
    threshold, right = best_threshold(seeds, tops)
    assert right == 1.0 and 0.0246 < threshold <= 0.0284
    # Closer than a thousandth: more decimals, never a threshold outside the two.
    threshold, _ = best_threshold(seeds, [(0.0199, False), (0.02461, False), (0.02463, True), (0.3, True)])
    assert 0.02461 < threshold < 0.02463
    # Three decimals would put it on the right answer's own probability (0.025): one more is taken.
    threshold, _ = best_threshold(seeds, [(0.0199, False), (0.0241, False), (0.025, True), (0.3, True)])
    assert 0.0241 < threshold < 0.025


def test_a_question_without_candidates_abstains_at_every_threshold():
    asked = [Asked([], [], "seeds", in_archive=False), Asked([("A", {})], ["A"], "seeds")]
    threshold, right = best_threshold(asked, [(-1.0, False), (0.2, True)])
    assert right == 1.0 and 0.0 <= threshold <= 0.2


def test_the_llm_reader_shows_each_sentence_with_its_neighbours_once():
    from qa.reading import Sentence
    from qa.ask.retrieval import RetrievedPassage
    from qa.generate.reader import in_context, locate, sentence_block
    from qa.text.dates import published_date
    from qa.types import Article, Passage, Span
    from datetime import date

    text = "Portvale news. The mayor opened the pier. She was re-elected in May. Rain fell all week."
    spans, at = [], 0
    for part in ("Portvale news.", "The mayor opened the pier.", "She was re-elected in May.", "Rain fell all week."):
        at = text.index(part, at)
        spans.append(Span(at, at + len(part)))
    art = Article(id="d", title="t", text=text, source="Harbour Post",
                  published=published_date(date(2024, 5, 12), "day", False, "test"))
    hit = RetrievedPassage(1, Passage("d", 0, 0, len(text), text, spans, []), art, 1.0, 0)
    chosen = [Sentence(hit, s, text[s.start:s.end], 1.0, []) for s in (spans[1], spans[2])]

    assert [[x.text for x in g] for g in in_context(chosen, 0)] == [["The mayor opened the pier."],
                                                                     ["She was re-elected in May."]]
    groups = in_context(chosen, 1)  # neighbours shared by the two are shown once
    assert [[x.text for x in g] for g in groups] == [
        ["Portvale news.", "The mayor opened the pier.", "She was re-elected in May."], ["Rain fell all week."]]
    assert sentence_block(groups).splitlines()[0].startswith("(Harbour Post, 2024-05-12) Portvale news. The mayor")
    # A phrase written only in a neighbour is cited to the neighbour, with exact offsets.
    sent, start, end = locate("rain", [x for g in groups for x in g])
    assert sent.span == spans[3] and text[start:end] == "Rain"


def test_the_recipe_figure_counts_only_quiz_questions_some_article_answers():
    from eval.train_reader import quiz_exact

    asked = [Asked([], ["a"], "realtimeqa", 0, True), Asked([], ["b"], "realtimeqa", 1, True),
             Asked([], ["c"], "realtimeqa", 2, False), Asked([], ["d"], "seeds", 0, True)]
    assert quiz_exact(asked, [(1.0, True, 1.0), (0.2, False, 1.0), (0.9, True, 0.0), (0.9, True, 1.0)]) == 0.5
    assert quiz_exact([], []) == 0.0


def test_training_grades_an_exact_answer_above_a_close_one():
    from eval.train_reader import grades

    asked = Asked([("Jon Stewart", {}), ("Stewart", {}), ("Stephen Colbert", {})], ["Jon Stewart"], "news")
    assert grades(asked) == [2, 1, 0]
    assert grades(Asked([("Stewart", {})], [], "seeds", in_archive=False)) == [0]


def test_a_hedged_figure_and_a_span_run_on_past_a_dash_give_their_bare_forms():
    from qa.ask.extractive.reader import bare_forms

    def bare(text: str, label: str) -> list[str]:
        return [text[a:b] for a, b in bare_forms(text, 0, len(text), label)]

    assert bare("nearly $200 million", "MONEY") == ["$200 million"]
    assert bare("no more than\u00a0$35", "MONEY") == ["$35"]
    assert bare("about 30", "CARDINAL") == ["30"]
    assert bare("nearly 40%", "PERCENT") == ["40%"]
    assert bare("NOK 3.2 million", "MONEY") == []  # a currency code is part of the figure
    assert bare("$7 million", "MONEY") == []
    assert bare("Nearly 30", "CARDINAL") == []  # not lower-case hedge words: kept whole
    assert bare("minus 5 degrees", "QUANTITY") == []  # a sign, not a hedge
    assert bare("between $10 and $20", "MONEY") == []
    assert bare("8 a.m. ― an hour", "TIME") == ["8 a.m."]
    assert bare("nearly $200 million — a record", "MONEY") == ["nearly $200 million", "$200 million"]
    assert bare("30 -- 40", "CARDINAL") == []  # a range, not a run-on
    assert bare("Jan. 5 – Feb. 3", "DATE") == []
    assert bare("nearly Baghdad", "GPE") == []  # only figures lose their hedge


def test_bare_forms_are_candidates_sliced_from_the_article():
    from datetime import date

    from qa.ask.extractive.reader import candidates
    from qa.reading import Sentence
    from qa.ask.question import analyse
    from qa.ask.retrieval import RetrievedPassage
    from qa.types import Article, Passage, Span

    text = "Portvale news. The pier will cost nearly $200 million, the mayor said."
    sent = Span(15, len(text))
    money = Span(text.index("nearly"), text.index(", the"), "MONEY")
    art = Article(id="d", title="t", text=text, source="Harbour Post")
    hit = RetrievedPassage(1, Passage("d", 0, 0, len(text), text, [sent], [money]), art, 1.0, 0)
    found = candidates(analyse("How much will the pier cost?", date(2024, 5, 12)),
                       [Sentence(hit, sent, text[sent.start:sent.end], 1.0, [money])], None)
    assert {"nearly $200 million", "$200 million"} <= {c.text for c in found}
    assert all(text[c.start:c.end] == c.text for c in found)


def test_the_newcomers_seed_questions_are_answered_in_their_articles_and_never_trained_on():
    import re
    from pathlib import Path

    import eval.train_reader as training
    from eval.runner import default_questions, load_questions

    root = Path(__file__).resolve().parents[2]
    sets = {name: load_questions(root / "eval" / name)
            for name in ("seed_questions_newcomer.jsonl", "seed_questions_blind.jsonl")}
    every = load_questions(default_questions()) + [i for s in sets.values() for i in s]
    assert len({i.id for i in every}) == len(every)
    assert len({i.question.lower() for i in every}) == len(every), "no question is asked twice"
    for items in sets.values():
        assert len(items) >= 38 and sum(not i.answers for i in items) >= 3
        for item in items:
            for answer in item.answers:  # every answer as written in the article it cites
                assert any(answer in (root / "seeds" / f"{src}.txt").read_text(encoding="utf-8")
                           for src in item.sources), (item.id, answer)
    # Training reads the RealTimeQA questions and the team's seed questions, nothing else.
    read = re.findall(r"load_questions\((.*?)\)(?:\s|$|\])", Path(training.__file__).read_text())
    assert sorted(read) == ['default_questions()', 'folder / "questions.jsonl"']


def test_training_refuses_the_validation_quarter(tmp_path):
    """A quarter holding a question asked from 2024-10-01 on (2024 q4) is never trained on."""
    import json

    import pytest

    from eval.train_reader import TRAINING_QUARTERS, quarter_items

    assert "2024q4" not in TRAINING_QUARTERS and len(TRAINING_QUARTERS) == 7
    rows = [{"id": "a", "question": "Who won?", "answers": ["X"], "as_of": "2024-09-27"},
            {"id": "b", "question": "Who lost?", "answers": ["Y"], "as_of": "2024-10-04"}]
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(ValueError, match="validation quarter"):
        quarter_items(tmp_path)
    (tmp_path / "questions.jsonl").write_text(json.dumps(rows[0]))
    assert [i.id for i in quarter_items(tmp_path)] == ["a"]


def test_a_span_of_time_is_narrowed_to_its_amount_unless_the_question_places_it_too():
    """"Six days later" answers "how many days after …" as "six days", a slice of the sentence
    as written; "how long ago" is answered "three years ago", as asked."""
    from datetime import date

    from qa.ask.extractive.reader import narrowed
    from qa.reading import Extracted
    from qa.ask.question import analyse
    from tests.unit.test_quote_grammar import shown

    sent = shown(["The army broke through six days later, three years ago."])[0]

    def span(words: str) -> Extracted:
        at = sent.text.index(words)
        return Extracted(sent, at, at + len(words), words, 0.5)

    later = narrowed(analyse("How many days after the siege did the army break through?", date(2024, 5, 1)),
                     span("six days later"))
    assert later.text == "six days" == sent.passage.article.text[later.start:later.end]
    ago = narrowed(analyse("How long ago did the army break through?", date(2024, 5, 1)), span("three years ago"))
    assert ago.text == "three years ago"
    asked_when = narrowed(analyse("When did the army break through?", date(2024, 5, 1)), span("six days later"))
    assert asked_when.text == "six days later"  # not a question of how long


def test_the_threshold_holds_the_unrounded_confidence():
    """A probability of 0.01866 is under a threshold of 0.019, though shown rounded it reads
    0.019: "What is the capital of Australia?" over the seeds was answered "Baghdad" so."""
    from datetime import date

    from qa.ask.question import analyse
    from qa.ask.readers import extractive_answer
    from qa.reading import Extracted, Reading
    from tests.unit.test_quote_grammar import QUOTED, shown

    sent = shown(QUOTED)[0]
    found = Extracted(sent, 0, 3, sent.text[:3], 0.5)

    def answer(p: float):
        reading = Reading("q", analyse("What sank?", date(2024, 5, 10)), [], [sent], found, p, 0.019)
        return extractive_answer(reading, {})

    under = answer(0.01866)
    assert under.abstained and under.confidence == 0.019  # shown rounded
    assert not answer(0.019).abstained


def test_coverage_is_the_best_share_of_the_question_names_a_candidate_article_writes():
    from qa.ask.extractive.ranker import coverage

    nan = float("nan")
    assert coverage([{"names_in_article": 0.0}, {"names_in_article": 0.5}]) == 0.5
    assert coverage([{"names_in_article": nan}, {"names_in_article": nan}]) == 1.0  # it names nothing
    assert coverage([{"proximity": 0.3}]) == 1.0  # a file trained before the feature


def test_a_question_the_archive_does_not_cover_is_less_likely_answered_right():
    from qa.ask.extractive.ranker import calibrated

    assert calibrated(0.5, 2.0, -1.0, 1.5, 0.0) < calibrated(0.5, 2.0, -1.0, 1.5, 1.0)
    assert calibrated(0.5, 2.0, -1.0) == calibrated(0.5, 2.0, -1.0, 0.0, 0.0)  # no weight: no effect


def test_coverage_that_would_lower_the_probability_is_left_out_of_the_calibration():
    from eval.train_reader import calibrate

    # Right answers where the archive covers least: a falling weight, dropped.
    tops = [(s, right, 1.0 - right / 2) for s, right in [(0.1, 0), (0.2, 0), (0.8, 1), (0.9, 1), (0.5, 0), (0.6, 1)]]
    scale, _, covered = calibrate(tops)
    assert scale > 0 and covered == 0.0
    rising = [(s, right, 0.5 + right / 2) for s, right, _ in tops]
    assert calibrate(rising)[2] > 0
    # A question no article covers is never answered, so never fitted on.
    assert calibrate(rising + [(5.0, False, 0.0), (4.0, False, 0.0)]) == calibrate(rising)


def test_a_name_is_compared_without_its_abbreviation_dots_or_article():
    from qa.ask.extractive.reader import _name_key

    assert f" {_name_key('the U.S. House')} " in f" {_name_key('A vote in the US House on Friday.')} "
    assert f" {_name_key('Iran')} " in f" {_name_key('Iran’s foreign minister')} "
    assert f" {_name_key('Iran')} " not in f" {_name_key('Iranian officials')} "
