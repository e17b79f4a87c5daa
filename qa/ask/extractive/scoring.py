"""How well a sentence supports the question: the share of the question's words, weighted by
rarity, that the sentence and its passage hold, and the scored candidate sentences."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from qa.ask.question import QuestionInfo
from qa.ask.retrieval import RetrievedPassage
from qa.reading import Sentence
from qa.text.dates import states_time
from qa.text.tokens import stems_match, tokens
from qa.types import Span

UNDATED_WEIGHT = 0.9  # an article of unknown date supports a dated question a little less


SOMEONE_ELSE_WEIGHT = 0.6  # a sentence about other people, not the person the question names


_PRONOUN = re.compile(r"\b(?:he|she|his|her|him|hers|himself|herself)\b", re.I)


class Weights(dict):
    """Question term stem → weight (rarer and proper terms weigh more), with each term's
    inflected forms, so that "met" supports "meet"."""

    def __init__(self, weights: dict[str, float], forms: dict[str, frozenset[str]]):
        super().__init__(weights)
        self.forms = forms
        self._matching: dict[str, tuple[str, ...]] = {}

    def matching(self, word: str) -> tuple[str, ...]:
        """The question terms a word's stem stands for, worked out once per word and question:
        a question's sentences repeat their words thousands of times."""
        found = self._matching.get(word)
        if found is None:
            found = self._matching[word] = tuple(
                q for q in self if stems_match(word, q) or word in self.forms.get(q, ()))
        return found


def term_weights(info: QuestionInfo, idf: dict[str, float]) -> Weights:
    return Weights({t.stem: idf.get(t.text.lower(), 1.0) * (1.5 if t.proper else 1.0) for t in info.terms},
                   {t.stem: t.forms or frozenset({t.stem}) for t in info.terms})


def coverage(words: list[tuple[str, int, int]], weights: dict[str, float]) -> tuple[float, list[tuple[str, int, int]]]:
    """The share of the question's weight that a text's words contain, and which words matched."""
    total = sum(weights.values()) or 1.0
    if not isinstance(weights, Weights):
        weights = Weights(weights, {})
    found: set[str] = set()
    hits: list[tuple[str, int, int]] = []
    for w in words:
        for q in weights.matching(w[0]):
            found.add(q)
            hits.append((q, w[1], w[2]))
    return sum(weights[q] for q in found) / total, hits


def candidate_sentences(info: QuestionInfo, passages: list[RetrievedPassage], weights: Weights) -> list[Sentence]:
    """Every sentence of the retrieved passages that may answer, best supported first."""
    focus_weight = weights.get(info.focus, 0.0) / (sum(weights.values()) or 1.0) if info.labels else 0.0
    out: list[Sentence] = []
    for rank, p in enumerate(passages):
        text = p.article.text
        p_cov, _ = coverage(tokens(p.text, p.start), weights)
        entities = p.passage.entities
        for span in p.passage.sentences:
            s, e = span.start, span.end
            sent_ents = [x for x in entities if s <= x.start and x.end <= e]
            if p.tier == 2 and not states_time([text[x.start:x.end] for x in sent_ents if x.label == "DATE"],
                                               info.time, p.published_on):
                continue  # a later article answers a dated question only where it states the date
            s_cov, hits = coverage(tokens(text[s:e], s), weights)
            if focus_weight and not any(q == info.focus for q, _, _ in hits) and any(
                    x.label in info.labels and not mentions_question(text[x.start:x.end], info) for x in sent_ents):
                s_cov += focus_weight  # "which officials": a named official is one
            score = 0.7 * s_cov + 0.3 * p_cov + 0.02 / (rank + 1)
            if p.tier == 1:
                score *= UNDATED_WEIGHT
            if about_someone_else(info, text, s, e, sent_ents):
                score *= SOMEONE_ELSE_WEIGHT
            out.append(Sentence(p, Span(s, e), text[s:e], score, sent_ents, hits))
    out.sort(key=lambda x: -x.score)
    return out


def same_name(a: str, b: str) -> bool:
    """Two spellings of one name part ("Al-Kazemi", "Al-Kazimi")."""
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if min(len(a), len(b)) < 5:
        return False
    m = SequenceMatcher(None, a, b)
    return m.real_quick_ratio() >= 0.8 and m.quick_ratio() >= 0.8 and m.ratio() >= 0.8


def about_someone_else(info: QuestionInfo, text: str, start: int, end: int, ents: list[Span]) -> bool:
    """The question names a person; this sentence names other people, and neither that person
    nor a pronoun that could stand for them. It reports someone else's doings."""
    if not info.people:
        return False
    others = [text[x.start: x.end] for x in ents if x.label == "PERSON"]
    if not others or _PRONOUN.search(text[start:end]):
        return False
    words = {w for w in re.findall(r"[\w'’-]+", text[start:end]) if w[:1].isupper()}
    for person in info.people:
        parts = [p for p in re.findall(r"[\w'’-]+", person) if len(p) > 2]
        if parts and not any(same_name(p, w) for p in parts for w in words):
            return True
    return False


def question_hits(sentence: Sentence, weights: dict[str, float]) -> list[tuple[str, int, int]]:
    """A sentence's words that match the question's, as candidate_sentences found them, or found now."""
    if sentence.hits is None:
        sentence.hits = coverage(tokens(sentence.text, sentence.span.start), weights)[1]
    return sentence.hits


def proximity(sentence: Sentence, start: int, end: int, weights: dict[str, float],
              hits: list[tuple[str, int, int]] | None = None) -> float:
    """How close a span lies to the question's words in its sentence, weighted by rarity.
    `hits`: the sentence's matched question words, where the caller has them already."""
    if hits is None:
        hits = question_hits(sentence, weights)
    if not hits:
        return 0.0
    top = max(weights.values())
    best = 0.0
    for q, s, e in hits:
        if s >= start and e <= end:
            continue
        gap = max(start - e, s - end, 0)
        best = max(best, (weights[q] / top) / (1.0 + gap / 25.0))
    return best


def mentions_question(text: str, info: QuestionInfo, phrase: bool = False) -> bool:
    """Does a candidate repeat what the question already names? Then it isn't the answer.
    An entity inside one of the question's names counts ("Zarif" for "Mohammad Javad Zarif"),
    and so does one that holds one (an entity is a name); a phrase needs only a word of its own."""
    words = [w for w, _, _ in tokens(text) if (len(w) >= 3 or w[:1].isdigit()) and w not in ("al", "the")]
    if not words:
        return True
    q = [t.stem for t in info.terms]
    if all(any(stems_match(w, s) for s in q) for w in words):
        return True
    low = text.lower()
    return any(low in n.lower() or (not phrase and n.lower() in low) for n in info.named if len(n) > 2)
