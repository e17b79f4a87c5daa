"""The learned ranking of answer candidates: gradient-boosted trees (LightGBM's lambdarank) over
the features reader.describe() fills, five sets fitted alike but for the random seed and their
scores averaged (with a few hundred training questions one seed alone moves the answers), and a
calibration of the best candidate's score into the probability that it is right (the answer's
confidence).

Everything is kept in one JSON file beside this one (reader.json), rebuilt by `byline reader
train` (eval/train_reader.py): the trees in LightGBM's own text format, read back with
`lightgbm.Booster(model_str=...)`, never unpickled. Without the file the type rules answer alone.
"""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger("byline")

MODEL_FILE = Path(__file__).with_name("reader.json")
RULES_ABSTAIN_BELOW = 0.45  # support under which the type rules alone abstain (chosen on the seeds)

# What is known before any data: more support, nearness or fit never makes a candidate less
# likely; repeating the question, being generic or coming from an undated article never makes
# it more likely. With a few hundred training questions these constraints keep the trees from
# learning noise the wrong way round.
RISING = frozenset({
    "sentence_support", "sentence_support_share", "passage_score_share", "sentence_rank", "proximity",
    "window_coverage", "articles_holding", "support_holding", "label_fits", "focus_adjacent", "holds_title", "rule_support",
    "names_in_passage", "names_in_article",
    "kind_similarity", "kind_similarity_gap", "kind_best_gap", "kind_label_fit", "kind_label_gap",
})
FALLING = frozenset({"repeats_question", "question_word_share", "generic", "demonym_describes",
                     "passage_tier_undated", "in_time_phrase"})


def monotone(features: Sequence[str]) -> list[int]:
    """LightGBM's monotone constraint for each feature, in order: 1 rising, -1 falling, 0 free."""
    return [1 if f in RISING else -1 if f in FALLING else 0 for f in features]


def feature_matrix(rows: Sequence[Mapping[str, float]], features: Sequence[str]) -> np.ndarray:
    """Rows of named features as columns in the model's order; a feature a row lacks is 0 (the
    one-hot pairs; the kind features of a question that names no kind), as in training. A NaN
    a row gives stays: the trees read it as missing."""
    index = {f: i for i, f in enumerate(features)}
    matrix = np.zeros((len(rows), len(features)))
    for r, row in enumerate(rows):
        for name, value in row.items():
            if name in index:
                matrix[r, index[name]] = value
    return matrix


@dataclass(frozen=True)
class Ranker:
    features: tuple[str, ...]  # the model's columns, in order
    boosters: tuple  # lightgbm.Booster each, fitted alike but for the random seed; their mean scores
    scale: float  # probability that the best candidate is right =
    shift: float  #   sigmoid(scale * score + covered * coverage + shift)
    abstain_below: float  # that probability under which Byline abstains, chosen on the training data
    covered: float = 0.0  # the weight of the question's coverage (coverage()); 0 in files without it

    def scores(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Each candidate's score (higher ranks first)."""
        if not rows:
            return np.zeros(0)
        matrix = feature_matrix(rows, self.features)
        return np.mean([b.predict(matrix, num_threads=1) for b in self.boosters], axis=0)

    def probability(self, score: float, coverage: float = 1.0) -> float:
        return calibrated(score, self.scale, self.shift, self.covered, coverage)


def calibrated(score: float, scale: float, shift: float, covered: float = 0.0, coverage: float = 1.0) -> float:
    """The probability that a best candidate of this score is right, for a question whose names
    the archive covers this much."""
    return 1.0 / (1.0 + math.exp(-(scale * score + covered * coverage + shift)))


def coverage(rows: Sequence[Mapping[str, float]]) -> float:
    """How much of what the question names the best-covering candidate's article writes (the
    feature names_in_article; 1 where the question names nothing). The trees rank candidates
    within a question, so what holds for all of them alike, such as an archive that never names
    the question's subject ("the capital of Australia" over articles on Iraq), is weighed in the
    calibration (and a question whose names no candidate's article writes abstains, reader.read():
    on the training quarters 7 of 221 such questions had a gold answer among their candidates,
    against 291 of 986 whose names some article writes in full)."""
    held = [row["names_in_article"] for row in rows if not math.isnan(row.get("names_in_article", math.nan))]
    return max(held, default=1.0)


def answerable(coverage: float) -> bool:
    """Whether a question this covered is answered at all: one whose names no candidate's article
    writes abstains (reader.read()), and training counts it so (train_reader)."""
    return coverage > 0


def ranker_from_json(data: Mapping) -> Ranker:
    import lightgbm

    boosters = tuple(lightgbm.Booster(model_str=text) for text in data["boosters"])
    # The columns are matched by name (LightGBM writes a space in a name as "_").
    if any(b.feature_name() != [f.replace(" ", "_") for f in data["features"]] for b in boosters):
        raise ValueError("reader.json: the trees' features are not the features it lists")
    return Ranker(tuple(data["features"]), boosters, float(data["calibration"]["scale"]),
                  float(data["calibration"]["shift"]), float(data["abstain_below"]),
                  float(data["calibration"].get("coverage", 0.0)))


@lru_cache(maxsize=4)
def load_ranker(path: Path = MODEL_FILE) -> Ranker | None:
    """The trained ranker, or None where none was trained or it can't be read (the type rules
    answer alone, and the log says why)."""
    if not path.is_file():
        return None
    try:
        return ranker_from_json(json.loads(path.read_text()))
    except (ImportError, OSError, ValueError, KeyError) as exc:  # OSError: LightGBM without OpenMP
        log.warning("the learned reader is off, the type rules answer alone: %s", exc)
        return None


def default_abstain_below() -> float:
    ranker = load_ranker()
    return ranker.abstain_below if ranker else RULES_ABSTAIN_BELOW
