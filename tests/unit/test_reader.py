"""The learned reader's parts that need no embedding model: its ranker file, the calibration and
the threshold choice."""
import json

from eval.train_reader import Asked, best_threshold
from qa.ask.extractive.ranker import FALLING, MODEL_FILE, RISING, load_ranker, monotone
from qa.ask.extractive.reader import LABEL_CLASSES, WH_CLASSES


def test_the_ranker_is_plain_text_with_a_calibration_and_a_threshold():
    data = json.loads(MODEL_FILE.read_text())
    assert 0.0 <= data["abstain_below"] <= 1.0
    assert "1-9" in data["trained_on"]["realtimeqa_2024q1_weeks"]  # never the validation weeks
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


def test_the_threshold_weighs_each_training_set_the_same():
    def asked(answers, source):
        return Asked([("A", {})], answers, source)

    news = [asked(["A"], "news")] * 8
    seeds = [asked([], "seeds"), asked(["A"], "seeds")]
    tops = [(0.3001, True)] * 2 + [(0.3801, True)] * 6 + [(0.3501, False), (0.3801, True)]
    threshold, em = best_threshold(news + seeds, tops)
    # Pooled, answering everything wins (9 of 10); per set, the seeds' abstention counts as much
    # as the news set's two answers: abstain under 0.38 (news 6/8, seeds 2/2).
    assert threshold == 0.38 and em == (6 / 8 + 1.0) / 2


def test_a_question_without_candidates_abstains_at_every_threshold():
    asked = [Asked([], [], "seeds"), Asked([("A", {})], ["A"], "seeds")]
    threshold, em = best_threshold(asked, [(-1.0, False), (0.2, True)])
    assert em == 1.0 and threshold <= 0.2


def test_the_llm_readers_phrase_must_be_whole_words_of_a_sentence():
    from qa.ask.extractive.scoring import Sentence
    from qa.ask.retrieval import RetrievedPassage
    from qa.generate.reader import locate
    from qa.types import Article, Passage, Span

    text = "Iranian officials met in Baghdad.\nThe  talks were\nled by Seyyed Ammar al-Hakim."
    art = Article(id="d", title="t", text=text)
    spans = [Span(0, 33), Span(34, len(text))]
    hit = RetrievedPassage(1, Passage("d", 0, 0, len(text), text, spans, []), art, 1.0, 0)
    sentences = [Sentence(hit, s, text[s.start:s.end], 1.0, []) for s in spans]
    assert locate("Iran", sentences) is None  # not inside "Iranian"
    sent, start, end = locate("the talks were led by seyyed ammar al-hakim.", sentences)
    assert text[start:end] == "The  talks were\nled by Seyyed Ammar al-Hakim"  # spaces as written
    assert sent.span == spans[1]
