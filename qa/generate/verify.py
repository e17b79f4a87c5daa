"""Is a generated sentence supported by the passages it cites?

No NLI model ships offline here, so support is checked by what can be checked exactly: every
name, date and number the sentence states (spaCy's entities, and any figure) must be found in
the passages it cites, and most of its other content words too (stems and inflections, so
"met" is found for "meeting"). A sentence that cites nothing is unsupported. For each cited
passage the sentence of it that best supports the claim becomes the citation's quote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING


from qa.text import nlp
from qa.types import Article, Span

if TYPE_CHECKING:
    from qa.ask.retrieval import RetrievedPassage
from qa.text.tokens import STOP_WORDS, stems_match, tokens, word_forms

# Entity kinds that state a checkable fact; ORDINAL and the like are left to the word check.
FACT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "LAW", "WORK_OF_ART", "PRODUCT",
               "DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
_FIGURE = re.compile(r"\d[\d,.]*\d|\d")
_WORD = re.compile(r"[^\W_]+")
# Words that carry no claim of their own in an answer ("according to the article, ...").
_FRAME = {"accord", "articl", "passag", "report", "state", "mention", "say", "said", "news", "text"}


@dataclass(frozen=True)
class Evidence:
    """Passage n of those a generated answer may cite: a retrieved passage, numbered."""

    n: int
    passage: RetrievedPassage

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def start(self) -> int:  # offsets of the passage in the article text
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

    @property
    def sentences(self) -> list[Span]:  # article offsets of the passage's sentences
        return self.passage.passage.sentences

    @property
    def article(self) -> Article:
        return self.passage.article

    @property
    def article_text(self) -> str:
        return self.passage.article.text

    @property
    def text(self) -> str:
        return self.passage.text


@dataclass
class Check:
    supported: bool
    coverage: float  # share of the claim's content words found in the cited passages
    missing: list[str] = field(default_factory=list)  # names, dates, figures not found
    quotes: dict[int, Span] = field(default_factory=dict)  # cited passage n → its best sentence


def _stems(text: str) -> list[str]:
    return [s for s, _, _ in tokens(text)]


def _content(text: str) -> list[tuple[str, str]]:
    """(word, stem) for the words of a text that say something: no stop words, no framing."""
    out: dict[str, str] = {}
    for w in _WORD.findall(text):
        if w.lower() in STOP_WORDS or (len(w) < 3 and not w.isdigit()):
            continue
        for s in _stems(w):
            if s not in _FRAME:
                out.setdefault(s, w)
    return [(w, s) for s, w in out.items()]


def _found(word: str, stem: str, bag: set[str]) -> bool:
    if stem in bag or not word_forms(word).isdisjoint(bag):
        return True
    return any(stems_match(stem, b) for b in bag if b[:2] == stem[:2])  # Iraq / Iraqi


def _figures(text: str) -> set[str]:
    return {m.group(0).replace(",", "").rstrip(".") for m in _FIGURE.finditer(text)}


def key_phrases(claim: str) -> list[str]:
    """The names, dates and figures a sentence states: what its citation must contain."""
    doc = nlp.ingest()(claim)
    phrases = [e.text for e in doc.ents if e.label_ in FACT_LABELS]
    covered = " ".join(phrases)
    phrases += [f for f in _figures(claim) if f not in _figures(covered)]
    return phrases


def check(claim: str, cited: list[Evidence], min_coverage: float = 0.6) -> Check:
    """Whether `claim` (one sentence, its [n] markers removed) is supported by the passages it cites."""
    content = _content(claim)
    if not cited or not content:
        return Check(False, 0.0, missing=[] if cited else ["(no citation)"])
    text = "\n".join(e.text for e in cited)
    bag = set(_stems(text))
    figures = _figures(text)
    missing = []
    for phrase in key_phrases(claim):
        words = _content(phrase) or [(w, w) for w in _stems(phrase)]
        if _figures(phrase) - figures or not all(_found(w, s, bag) for w, s in words):
            missing.append(phrase)
    coverage = sum(_found(w, s, bag) for w, s in content) / len(content)
    quotes = {e.n: _best_sentence(content, e) for e in cited}
    return Check(not missing and coverage >= min_coverage, round(coverage, 3), missing, quotes)


def mentions(text: str, name: str) -> bool:
    """Whether a text names something the question names (every content word of the name)."""
    bag = set(_stems(text))
    words = _content(name) or [(w, w) for w in _stems(name)]
    return bool(words) and all(_found(w, s, bag) for w, s in words)


def _best_sentence(content: list[tuple[str, str]], evidence: Evidence) -> Span:
    best, best_score = None, -1
    for s in evidence.sentences or (Span(evidence.start, evidence.end),):
        bag = set(_stems(evidence.article_text[s.start:s.end]))
        score = sum(_found(w, st, bag) for w, st in content)
        if score > best_score:
            best, best_score = s, score
    return best
