"""The learned reader's parts that need no model: its weights file and the threshold choice."""
import json

from eval.train_reader import Asked, best_threshold
from qa.ask.extractive.reader import LABEL_CLASSES, WEIGHTS_FILE, WH_CLASSES, load_model


def test_the_weights_are_plain_json_with_a_threshold():
    data = json.loads(WEIGHTS_FILE.read_text())
    assert 0.0 <= data["abstain_below"] <= 1.0
    assert "1-9" in data["trained_on"]["realtimeqa_2024q1_weeks"]  # never the validation weeks
    model = load_model()
    assert model is not None and model.weights == data["weights"]


def test_every_weight_names_a_feature_the_reader_describes():
    """Weights left over from renamed features would silently weigh nothing."""
    fixed = {"bias", "label_fits", "open_question", "sentence_support", "sentence_rank", "passage_tier_undated",
             "passage_tier_later", "proximity", "articles_holding", "repeats_question", "question_word_share",
             "generic", "tokens_1", "tokens_4plus", "lowercase", "has_digit", "focus_adjacent", "in_time_phrase",
             "date_names_time", "demonym_describes", "published_this_week", "published_this_month", "rule",
             "rule_support", "list_question", "list_question_rule", "list_question_several",
             "kind_similarity", "kind_similarity_gap"}
    pairs = {f"wh={w}|label={lab}" for w in WH_CLASSES for lab in set(LABEL_CLASSES.values()) | {"other"}}
    kinds = {f"rule_kind={k}" for k in ("title", "focus", "entity", "place", "why", "sentence")}
    unknown = set(load_model().weights) - fixed - pairs - kinds
    assert not unknown


def test_the_threshold_weighs_each_training_set_the_same():
    import math

    def asked(p, answers, source):  # one candidate, right when answerable, scored at probability p
        return Asked([("A", {"bias": math.log(p / (1 - p))})], answers, source)

    news = [asked(0.3001, ["A"], "news")] * 2 + [asked(0.3801, ["A"], "news")] * 6
    seeds = [asked(0.3501, [], "seeds"), asked(0.3801, ["A"], "seeds")]
    threshold, em = best_threshold(news + seeds, {"bias": 1.0})
    # Pooled, answering everything wins (9 of 10); per set, the seeds' abstention counts as much
    # as the news set's two answers: abstain under 0.38 (news 6/8, seeds 2/2).
    assert threshold == 0.38 and em == (6 / 8 + 1.0) / 2


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
