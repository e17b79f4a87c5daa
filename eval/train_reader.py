"""Train the learned reader (qa/ask/extractive/reader.json) from data built reproducibly.

Training questions: RealTimeQA 2024 Q1 weeks 1-9 (as_of up to 2024-03-01) asked over its
corpus, plus the team's seed questions over the seeds. Weeks 10-13 are never read here: they
are the validation weeks. Each question is asked as the service asks it; every candidate the
reader describes becomes a row, labelled by whether it is a gold answer (token F1 ≥ 0.6 after
SQuAD normalisation). A logistic regression (scikit-learn, L2) learns the weights; the
abstention threshold is then the probability that maximises exact match over the same
training questions (abstaining is right for an unanswerable seed question, wrong otherwise).
Both are written as JSON with what they were trained on. Run: `byline reader train`.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from eval.metrics import exact, f1
from eval.runner import Item, corpus_archive, default_questions, load_corpus, load_questions
from qa.archive import Archive
from qa.ask.extractive.reader import WEIGHTS_FILE, load_model
from qa.ask.service import Trace
from qa.settings import Settings

log = logging.getLogger("byline")
TRAIN_WEEKS_END = date(2024, 3, 1)  # RealTimeQA 2024 Q1 weeks 1-9; 10-13 are for validation
POSITIVE_F1 = 0.6


@dataclass
class Asked:
    candidates: list[tuple[str, dict[str, float]]]
    answers: list[str]  # empty: unanswerable
    source: str  # which training set: each counts the same, whatever its size


def ask_all(archive: Archive, items: list[Item], source: str) -> list[Asked]:
    archive.asker.keep_candidates = True
    out = []
    started = time.perf_counter()
    for n, item in enumerate(items, 1):
        trace = Trace()
        archive.ask(item.question, item.history, item.as_of, trace=trace)
        out.append(Asked(trace.candidates, item.answers, source))
        if n % 50 == 0 or n == len(items):
            log.warning("reader: %d/%d questions read, %.0f s", n, len(items), time.perf_counter() - started)
    return out


def best_threshold(asked: list[Asked], weights: dict[str, float]) -> tuple[float, float]:
    """The probability under which to abstain that gives the most exact answers (the mean of
    each training set's exact match, so the small seed set, which alone has unanswerable
    questions, weighs as much as the news quiz), and that mean."""
    tops = []
    for a in asked:
        if not a.candidates:
            tops.append((0.0, not a.answers))
            continue
        text, f = max(a.candidates, key=lambda c: sum(weights.get(k, 0.0) * v for k, v in c[1].items()))
        p = 1 / (1 + math.exp(-sum(weights.get(k, 0.0) * v for k, v in f.items())))
        tops.append((p, exact(text, a.answers) == 1.0 if a.answers else False))
    sources = sorted({a.source for a in asked})
    best = (0.0, -1.0)
    for t in sorted({0.0} | {round(p, 3) for p, _ in tops}):
        ems = []
        for src in sources:
            mine = [(top, a) for top, a in zip(tops, asked) if a.source == src]
            ems.append(sum((right if p >= t else not a.answers) for (p, right), a in mine) / len(mine))
        em = sum(ems) / len(ems)
        if em > best[1]:
            best = (t, em)
    return best


def train(settings: Settings, shared: Path, out: Path = WEIGHTS_FILE, c: float = 1.0) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus, questions = shared / "corpus.jsonl", shared / "questions.jsonl"
    train_items = [q for q in load_questions(questions) if q.as_of and q.as_of <= TRAIN_WEEKS_END]
    seed_items = load_questions(default_questions())
    asked: list[Asked] = []
    for name, source, items in (("realtimeqa", corpus, train_items), ("seeds", Path(settings.seeds_dir), seed_items)):
        archive = corpus_archive(settings, source)
        archive.ingest_drafts(list(load_corpus(source)))  # unchanged articles are skipped
        asked += ask_all(archive, items, name)
        archive.close()
    rows = [(f, int(f1(text, a.answers) >= POSITIVE_F1), a.source)
            for a in asked if a.answers for text, f in a.candidates]
    per_source = {src: sum(1 for *_, s in rows if s == src) for src in {s for *_, s in rows}}
    vec = DictVectorizer(sparse=False)
    matrix = vec.fit_transform([f for f, _, _ in rows])
    model = LogisticRegression(C=c, max_iter=5000)
    # Each training set weighs the same in the fit, as in the threshold.
    model.fit(matrix, [y for _, y, _ in rows], sample_weight=[len(rows) / (len(per_source) * per_source[s])
                                                                for *_, s in rows])
    weights = {name: round(float(w), 6) for name, w in zip(vec.get_feature_names_out(), model.coef_[0])}
    weights["bias"] = round(weights.get("bias", 0.0) + float(model.intercept_[0]), 6)
    threshold, train_em = best_threshold(asked, weights)
    result = {
        "model": "logistic regression (scikit-learn, L2, C=%g) over candidate features" % c,
        "trained_on": {"realtimeqa_2024q1_weeks": "1-9 (as_of <= %s)" % TRAIN_WEEKS_END,
                       "realtimeqa_questions": len(train_items), "seed_questions": len(seed_items),
                       "questions_with_a_gold_candidate": sum(
                           any(f1(t, a.answers) >= POSITIVE_F1 for t, _ in a.candidates) for a in asked if a.answers),
                       "rows": len(rows), "positives": sum(y for _, y, _ in rows),
                       "exact_match_at_threshold": round(train_em, 3)},
        "positive": f"token F1 >= {POSITIVE_F1} with a gold answer",
        "abstain_below": threshold,
        "weights": dict(sorted(weights.items())),
    }
    out.write_text(json.dumps(result, indent=1) + "\n")
    load_model.cache_clear()
    return result
