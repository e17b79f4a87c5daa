"""Common-noun phrases as answer candidates, for questions whose answer is a thing rather than
a name ("banning the sale of what?" → "dog meat"; "which disease?" → "measles").

Named entities are stored at ingest; these are not (the tagger would double ingest's cost for
the few questions that need them), so the best few sentences are tagged when the question is
asked: a phrase is a run of adjectives and nouns that ends in a common noun.
"""
from __future__ import annotations

from qa.reading import Sentence
from qa.text import nlp

SENTENCES = 8  # the best sentences tagged per question
MAX_WORDS = 4  # words, not counting hyphens
_NOUN = {"NN", "NNS"}
_MODIFIER = {"JJ", "JJR", "JJS", "NN", "NNS", "VBG", "HYPH"}


def noun_phrases(sentences: list[Sentence]) -> list[tuple[int, int, int]]:
    """(sentence index, start, end) of each phrase, offsets into the article text."""
    picked = sentences[:SENTENCES]
    out = []
    for i, doc in enumerate(nlp.tagger().pipe(s.text for s in picked)):
        base = picked[i].span.start
        run: list = []
        for tok in list(doc) + [None]:
            if tok is not None and tok.tag_ in _MODIFIER:
                run.append(tok)
                continue
            while run and run[-1].tag_ not in _NOUN:  # a phrase ends in its noun
                run.pop()
            while run and run[0].tag_ == "HYPH":
                run.pop(0)
            if sum(t.tag_ != "HYPH" for t in run) > MAX_WORDS:  # a long run: its last words
                k, words = len(run), 0
                while k > 0 and words < MAX_WORDS:
                    k -= 1
                    words += run[k].tag_ != "HYPH"
                run = run[k:]
                while run and run[0].tag_ == "HYPH":
                    run.pop(0)
            if run:
                out.append((i, base + run[0].idx, base + run[-1].idx + len(run[-1].text)))
            run = []
    return out
