"""Multiple choice: each option scored by its support in the archive, on the same evidence the
reader weighs.

An option is searched for together with the question (the question's words alone may not
reach the one article that names it), and scores the best support, for the question, of a
retrieved sentence that writes the option: the sentence's weighted share of the question's
words (scoring.candidate_sentences, with its time and tier rules) times the share of the
option's content words it holds (its passage's share of the question already counts in the
sentence's support). An option whose words all appear in supporting sentences of several
articles gains a little: a fact the news repeats is more likely the one asked about.

"Which of the following … not …" asks for the one option the news does not support: `pick()`
takes the least supported then.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from qa.ask.extractive.scoring import Weights, candidate_sentences
from qa.reading import Sentence
from qa.ask.question import QuestionInfo
from qa.ask.retrieval import HybridRetriever, RetrievedPassage
from qa.text.tokens import STOP_WORDS, WORD, stem, tokens

# "Which (one) of the following/these … not/never/n't …", "… except": the one the news does not support.
NEGATED = re.compile(r"\bwhich (?:one )?of (?:the following|these|those)\b.*?(?:\b(?:not|never)\b(?!\s+only\b)"
                     r"|n[’']t\b|\bexcept\b)", re.I)
REPEAT_BONUS = 0.05  # per extra article (log scale) whose supporting sentences name the option


@dataclass(frozen=True)
class ChoiceSupport:
    choice: str
    support: float  # 0 where no retrieved sentence writes the option
    doc_id: str | None = None  # the article of the best sentence
    quote: str | None = None  # that sentence


def option_words(text: str) -> list[str]:
    """An option's content words, stemmed; all its words where every one is a stop word."""
    words = WORD.findall(text.lower())
    content = [w for w in words if w not in STOP_WORDS] or words
    return list(dict.fromkeys(stem(w) for w in content))  # each once: "New York, New York" is whole


def score_choices(info: QuestionInfo, retriever: HybridRetriever, search_text: str, weights: Weights,
                  choices: list[str], base: list[RetrievedPassage] | None = None) -> list[ChoiceSupport]:
    """Each option's support, in the order given."""
    base = base if base is not None else retriever.search(search_text)
    out = []
    for choice in choices:
        wanted = option_words(choice)
        if not wanted:
            out.append(ChoiceSupport(choice, 0.0))
            continue
        seen = {p.passage_id for p in base}
        passages = base + [p for p in retriever.search(f"{search_text} {choice}") if p.passage_id not in seen]
        sentences = candidate_sentences(info, passages, weights)
        out.append(_best(choice, wanted, sentences))
    return out


def _best(choice: str, wanted: list[str], sentences: list[Sentence]) -> ChoiceSupport:
    best: tuple[float, Sentence | None] = (0.0, None)
    articles: set[str] = set()
    for s in sentences:
        found = [(w, a, b) for w, a, b in tokens(s.text, s.span.start) if w in wanted]
        share = len({w for w, _, _ in found}) / len(wanted)
        if not share:
            continue
        if share == 1.0:
            articles.add(s.passage.doc_id)
        # Nearness to the question's words within the sentence was tried as a tie-breaker for
        # options named together; it lost questions on the training weeks, so it is left out.
        score = s.score * share
        if score > best[0]:
            best = (score, s)
    score, sentence = best
    if sentence is None:
        return ChoiceSupport(choice, 0.0)
    score += REPEAT_BONUS * math.log1p(max(len(articles) - 1, 0))
    return ChoiceSupport(choice, round(score, 6), sentence.passage.doc_id, sentence.text)


def pick(question: str, scored: list[ChoiceSupport]) -> ChoiceSupport | None:
    """The option the evidence points to: the best supported, or for a negated question the
    least supported; None where no option has any support (no guess is made)."""
    if not scored or all(c.support <= 0 for c in scored):
        return None
    if NEGATED.search(question):
        return min(scored, key=lambda c: c.support)
    return max(scored, key=lambda c: c.support)
