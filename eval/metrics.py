"""Scoring: SQuAD-style answer metrics, retrieval and citation measures, and the summary of a run.

Scores follow SQuAD: exact match and token F1 after normalisation (lower case, no
punctuation, no articles, whitespace collapsed), with Unicode quotes and dashes folded
first, since news text writes "Iraq’s". An unanswerable question (no gold answers) counts
as exact when Byline abstains.
"""
from __future__ import annotations

import re
import statistics
import string
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from qa.text.tokens import STOP_WORDS, stem

if TYPE_CHECKING:
    from eval.runner import Outcome

_FOLD = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"',
                       "–": "-", "—": "-", "‐": "-", "‑": "-"})
_MARKERS = re.compile(r"\s*\[\d+\]")
_PUNCT = set(string.punctuation)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def strip_markers(answer: str) -> str:
    return _MARKERS.sub("", answer).strip()


def exact(pred: str, golds: list[str]) -> float:
    p = normalize(pred)
    return float(any(p == normalize(g) for g in golds))


def f1(pred: str, golds: list[str]) -> float:
    best = 0.0
    p = normalize(pred).split()
    for g in golds:
        gt = normalize(g).split()
        common = Counter(p) & Counter(gt)
        same = sum(common.values())
        if same == 0 or not p or not gt:
            continue
        prec, rec = same / len(p), same / len(gt)
        best = max(best, 2 * prec * rec / (prec + rec))
    return best


def contained(pred: str, golds: list[str]) -> float:
    p = normalize(pred)
    return float(any(normalize(g) and normalize(g) in p for g in golds))


def answer_in_passages(golds: list[str], passages: list[str]) -> bool | None:
    """Whether any gold answer occurs, as whole normalised words, in the passages handed to the
    answer stage: None for an unanswerable question. False means retrieval lost the answer
    before the reader saw it; True with a wrong answer means the reader missed it."""
    if not golds:
        return None
    wanted = [f" {g} " for g in (normalize(g) for g in golds) if g]
    texts = [f" {normalize(p)} " for p in passages]
    return any(g in t for g in wanted for t in texts)


def answer_in_candidates(golds: list[str], candidates: list[str], ranked: bool = True) -> bool | None:
    """Whether a gold answer is exactly one of the candidates the learned reader ranked (the
    caller adds its pick as narrowed: "37" of "37-year-old"). None for an unanswerable question,
    or where no candidates were ranked (`ranked` False: no ranker trained, or a generator wrote
    the answer). Splits a reader miss in two: no candidate was the answer (candidate generation
    lost it), or one was and it was not given as written."""
    if not golds or not ranked:
        return None
    return any(exact(c, golds) == 1.0 for c in candidates)


def pick_choice(choices: list[str], support: list[tuple[str, float]], answer: str) -> str | None:
    """The multiple-choice option best supported by what was retrieved.

    Each option scores, over the best retrieved sentences, the highest product of the
    sentence's support for the question and the share of the option's content words (stems,
    stop words left out) that the sentence contains; an option written whole in the sentence
    gets its words' full share. Ties go to the option found in the extracted answer. None when
    no option is supported at all: the caller counts that as wrong, not as a guess."""
    def words(text: str) -> list[str]:
        return [stem(w) for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOP_WORDS] or \
            [stem(w) for w in re.findall(r"[^\W_]+", text.lower())]

    norm_answer = normalize(answer)
    best: tuple[float, float, str] | None = None
    for choice in choices:
        cw = words(choice)
        if not cw:
            continue
        score = 0.0
        for text, support_score in support:
            sw = set(words(text))
            share = sum(1 for w in cw if w in sw) / len(cw)
            score = max(score, support_score * share)
        tie = float(bool(norm_answer) and normalize(choice) in norm_answer)
        key = (round(score, 6), tie, choice)
        if score > 0 and (best is None or key[:2] > best[:2]):
            best = key
    return best[2] if best else None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


def scores(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.gold]
    unanswerable = [o for o in outcomes if not o.gold]
    answered = [o for o in answerable if not o.abstained]
    with_sources = [o for o in answered if o.sources]
    retr = [o for o in answerable if o.sources]
    mrr = []
    for o in retr:
        rank = next((i for i, d in enumerate(o.retrieved, 1) if d in o.sources), None)
        mrr.append(1.0 / rank if rank else 0.0)
    mean = lambda xs: round(statistics.fmean(xs), 3) if xs else None  # noqa: E731
    # Answerable questions got wrong, by the stage that lost the answer.
    missed = [o for o in answerable if o.em < 1 and o.answer_retrieved is not None]
    split = any(o.answer_in_candidates is not None for o in answerable)
    return {
        "n": len(outcomes),
        "exact_match": mean([o.em for o in outcomes]),
        "f1": mean([o.f1 for o in outcomes]),
        "answer_contained": mean([o.contained for o in outcomes]),
        "exact_match_answerable": mean([o.em for o in answerable]),
        "f1_answerable": mean([o.f1 for o in answerable]),
        "citation_accuracy": mean([float(any(c in o.sources for c in o.cited)) for o in with_sources]),
        "retrieval_recall_at_k": mean([float(any(d in o.sources for d in o.retrieved)) for o in retr]),
        "mrr": mean(mrr),
        # Recall over the questions with a source from the right time, counting only those.
        "retrieval_recall_timely": mean([float(any(d in o.timely_sources for d in o.retrieved))
                                         for o in retr if o.timely_sources]),
        # Share of answerable questions whose gold answer was in the passages the reader got.
        "answer_retrieved": mean([float(o.answer_retrieved) for o in answerable if o.answer_retrieved is not None]),
        "miss_retrieval": sum(1 for o in missed if not o.answer_retrieved),
        "miss_reader": sum(1 for o in missed if o.answer_retrieved),
        # A reader miss, split where the reader ranked candidates: none was a gold answer, or one
        # was and was not given as written (ranked below another, held back by the threshold, or
        # shown with its calendar day). None where no question was split (no ranker, a generator).
        "answer_in_candidates": mean([float(o.answer_in_candidates) for o in answerable
                                      if o.answer_in_candidates is not None]),
        "miss_candidates": sum(1 for o in missed if o.answer_retrieved and o.answer_in_candidates is False)
        if split else None,
        "miss_ranking": sum(1 for o in missed if o.answer_retrieved and o.answer_in_candidates) if split else None,
        "abstention_accuracy_unanswerable": mean([float(o.abstained) for o in unanswerable]),
        "answered_share": mean([float(not o.abstained) for o in outcomes]),
        "wrong_year_answers": sum(o.wrong_year for o in outcomes),
        "multiple_choice_accuracy": mean([o.choice_correct for o in outcomes if o.choice_correct is not None]),
        # Generated answers: how often the generator's text was shown (not the extractive
        # stand-in), and how often every sentence it wrote was supported by its citation.
        "generated_share": mean([float(o.generator != "extractive") for o in outcomes]),
        "supported_share": mean([float(o.dropped == 0) for o in outcomes if o.generated_sentences]),
    }


def recall_curve(outcomes: list[Outcome], k_max: int = 20) -> list[float | None]:
    """Recall@k for k = 1..k_max over the articles retrieved, in rank order."""
    retr = [o for o in outcomes if o.gold and o.sources]
    if not retr:
        return []
    return [round(statistics.fmean(float(any(d in o.sources for d in o.retrieved[:k])) for o in retr), 3)
            for k in range(1, k_max + 1)]


def threshold_table(outcomes: list[Outcome]) -> list[dict]:
    """What each abstention threshold would give: both sides of the choice."""
    rows = []
    for t in [i / 20 for i in range(0, 20)]:
        answered = [o for o in outcomes if o.candidate and o.confidence >= t]
        abstained = [o for o in outcomes if not (o.candidate and o.confidence >= t)]
        right_answers = [o for o in answered if o.gold and o.candidate_em]
        right_abstentions = [o for o in abstained if not o.gold or not o.candidate_em]
        rows.append({
            "threshold": t,
            "answered": len(answered),
            "accuracy_of_answered": round(len(right_answers) / len(answered), 3) if answered else None,
            "abstained": len(abstained),
            "accuracy_of_abstentions": round(len(right_abstentions) / len(abstained), 3) if abstained else None,
            "overall": round((len(right_answers) + sum(1 for o in abstained if not o.gold)) / len(outcomes), 3)
            if outcomes else None,
        })
    return rows


def by_period(outcomes: list[Outcome], held_out_from) -> dict:
    """The scores of the questions asked before a day (those a learned part may be tuned on)
    and from that day on (held out), each on all questions, on those whose answer is in the
    corpus and on those an article of the month before answers ("in a recent article"): the
    held-out figures are the ones that say how the reader generalises."""
    out = {}
    for name, part in (("tuned_on", [o for o in outcomes if o.as_of and o.as_of < held_out_from]),
                       ("held_out", [o for o in outcomes if o.as_of and o.as_of >= held_out_from])):
        if part:
            in_corpus = [o for o in part if o.sources or not o.gold]
            recent = [o for o in part if o.recent_sources]
            out[name] = {"all": scores(part), "answer_in_corpus": scores(in_corpus) if in_corpus else None,
                         "answer_in_recent_article": scores(recent) if recent else None}
    return out


def summarise(outcomes: list[Outcome], threshold: float, held_out_from=None) -> dict:
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_type[o.type].append(o)
    # Over the questions that went through the stage: a question answered without the model
    # has no first token, and counting it as 0 ms would flatter the model.
    latency = {stage: {"p50": _pct([o.timings_ms[stage] for o in outcomes if stage in o.timings_ms], 0.5),
                       "p95": _pct([o.timings_ms[stage] for o in outcomes if stage in o.timings_ms], 0.95)}
               for stage in ("rewrite", "retrieve", "answer", "first_token", "first_sentence", "generate", "total")
               if any(stage in o.timings_ms for o in outcomes)}
    answered = [o for o in outcomes if not o.abstained]
    abstained = [o for o in outcomes if o.abstained]
    in_corpus = [o for o in outcomes if o.sources or not o.gold]
    recent = [o for o in outcomes if o.recent_sources]
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        "overall": scores(outcomes),
        # Questions whose answer some corpus article states (or that have none to give).
        "answer_in_corpus": scores(in_corpus) if len(in_corpus) < len(outcomes) else None,
        # Of those, the ones an article of the month before the day asked holds: a quiz's
        # "sources" are any article naming the answer, often an old one naming it in passing.
        "answer_in_recent_article": scores(recent) if recent else None,
        "recall_curve": recall_curve(outcomes),
        "by_type": {t: scores(os) for t, os in sorted(by_type.items())},
        "abstention": {
            "threshold": threshold,
            "accuracy_of_answered": round(statistics.fmean([o.em for o in answered]), 3) if answered else None,
            "accuracy_of_abstentions": round(statistics.fmean(
                [float(not o.gold or not o.candidate_em) for o in abstained]), 3) if abstained else None,
            "sweep": threshold_table(outcomes),
        },
        "latency_ms": latency,
        "by_period": ({"held_out_from": held_out_from.isoformat(), **by_period(outcomes, held_out_from)}
                      if held_out_from else None),
    }
