"""The extractive reader: a short span of one retrieved sentence, with its citation.

No language model: the question's type decides what span to cut (a person for who, a date
for when, a number for how many, the phrase after 'because' for why, the noun phrase
that names the question's focus for which/what), and the support score (how much of the
question, weighted by rarity, the sentence and its passage contain) decides whether to
answer at all. Every answer string is a slice of the article text it cites.

scoring.py rates sentences; entities.py and phrases.py cut spans; spans.py holds what both share.
"""
from __future__ import annotations

from qa.ask.extractive.entities import entity_answer, title_holders
from qa.ask.extractive.phrases import focus_answer, place_answer, title_answer, why_answer
from qa.ask.extractive.scoring import Weights, candidate_sentences, term_weights
from qa.reading import Extracted, Sentence
from qa.ask.extractive.spans import NAMES
from qa.ask.question import MONEY_ONLY, NUMBER, ORG_NOUNS, PERCENT_ONLY, PLACE, TITLE_NOUNS, QuestionInfo

ABSTENTION = "I couldn't find that in the articles."

__all__ = ["ABSTENTION", "Extracted", "Sentence", "Weights", "candidate_sentences", "extract", "term_weights"]


def extract(info: QuestionInfo, sentences: list[Sentence], weights: Weights) -> Extracted | None:
    """The best span for the question's type, marked with the rule that cut it; None when no
    sentence was retrieved."""
    found = _extract(info, sentences, weights)
    if found is not None and not found.kind:
        found.kind = "sentence"
    return found


def _extract(info: QuestionInfo, sentences: list[Sentence], weights: Weights) -> Extracted | None:
    """The best span for the question's type; None when no sentence was retrieved."""
    if not sentences:
        return None
    found: Extracted | None = None
    if info.focus and info.focus_word in TITLE_NOUNS:
        found = _kind(title_answer(info, sentences, weights), "title")
    if found is None and info.focus and (info.focus_word in ORG_NOUNS or not info.labels) \
            and info.wh in ("which", "what"):
        found = _kind(focus_answer(info, sentences), "focus")
        if info.focus_word in ORG_NOUNS:
            # The organisation may be named without its kind ("the president of the KRG").
            named = _kind(entity_answer(info, sentences, weights, frozenset({"ORG", "NORP", "GPE"})), "entity")
            if named is not None and (found is None or named.score > found.score):
                found = named
    if found is None and info.labels:
        pool = sentences
        if "PERSON" in info.labels:
            pool = sorted(title_holders(info, sentences, weights) + sentences, key=lambda x: -x.score)
        found = _kind(entity_answer(info, pool, weights, info.labels), "entity")
        if found is None and info.labels in (MONEY_ONLY, PERCENT_ONLY):
            found = _kind(entity_answer(info, pool, weights, NUMBER), "entity")  # written without its unit
        if info.labels == PLACE:
            phrase = _kind(place_answer(info, sentences), "place")
            if phrase is not None and (found is None or phrase.score >= found.score):
                found = phrase
        if found is None and info.labels == PLACE:
            found = _kind(entity_answer(info, sentences, weights, frozenset({"ORG", "PERSON"})), "entity")
        if found is not None:
            return found
        # A typed question with no entity of its type nearby: weakly supported.
        best = sentences[0]
        return Extracted(best, best.span.start, best.span.end, best.text, best.score * 0.5)
    if found is None and info.focus and not info.labels and info.wh in ("which", "what"):
        # "Which airline…", "which film…": a name of any kind, nearest the question's words.
        found = _kind(entity_answer(info, sentences, weights, NAMES), "entity")
    if found is None and info.wh == "why":
        found = _kind(why_answer(info, sentences), "why")
    if found is None:
        best = sentences[0]
        found = Extracted(best, best.span.start, best.span.end, best.text, best.score)
    return found


def _kind(found: Extracted | None, kind: str) -> Extracted | None:
    if found is not None:
        found.kind = kind
    return found
