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


def test_the_threshold_is_judged_on_the_seeds_with_the_widest_margin():
    seeds = [Asked([("A", {})], [], "seeds", in_archive=False), Asked([("A", {})], [], "seeds", in_archive=False),
             Asked([("A", {})], ["A"], "seeds"), Asked([("A", {})], ["A"], "seeds")]
    news = [Asked([("B", {})], ["A"], "news")]  # not judged on
    tops = [(0.02, False), (0.1, False), (0.5, True), (0.7, True), (0.9, False)]
    threshold, right = best_threshold(seeds + news, tops)
    # Every cut in (0.1, 0.5] gets all four seeds right; the middle of 0.1 and 0.5 is taken.
    assert right == 1.0 and threshold == 0.3


def test_a_question_without_candidates_abstains_at_every_threshold():
    asked = [Asked([], [], "seeds", in_archive=False), Asked([("A", {})], ["A"], "seeds")]
    threshold, right = best_threshold(asked, [(-1.0, False), (0.2, True)])
    assert right == 1.0 and 0.0 <= threshold <= 0.2
