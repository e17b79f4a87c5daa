"""Semantic type fit: how near a candidate lies to what the question asks for ("which island
nation" → "Taiwan" near, "Pacific Island" less so; "which disease" → "measles", not "the health
department"), as the cosine of their sentence embeddings.

The entity labels type who/when/how-many questions well; for "which X" and "what X" questions the
kind asked for is open (a sport, an insect, a tech giant), and the embedding model already
knows which things are of which kind. Candidate texts recur across questions, so their
vectors are kept in memory (a bounded cache): each text is embedded once per process.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from qa.ask.question import QuestionInfo

_OF_KIND = {"type", "kind", "sort", "name", "form", "brand", "variety", "piece", "group", "category"}
_KIND_POS = {"ADV", "ADJ", "NOUN", "PROPN", "VERB", "NUM", "PUNCT"}


def asked_kind(info: QuestionInfo) -> str | None:
    """The kind of thing the question asks for, in its own words: "island nation" for "Which
    island nation…", "event" for "Which type of event…", "spacecraft" for "What is the name of
    the Intuitive Machines spacecraft…"; None where no noun follows the wh-word. Names are left
    out: they say which one, not what kind."""
    if info.doc is None or info.wh not in ("which", "what", "whose"):
        return None
    toks = list(info.doc)
    at = next((i for i, t in enumerate(toks) if t.lower_ in ("which", "what", "whose")), None)
    if at is None:
        return None
    j = at + 1
    if j < len(toks) and toks[j].lemma_ == "be":  # "what is the name of the …"
        j += 1
    while True:
        while j < len(toks) and toks[j].pos_ == "DET":
            j += 1
        if j + 1 < len(toks) and toks[j].lower_ in _OF_KIND and toks[j + 1].lower_ == "of":
            j += 2
            continue
        break
    run = []
    while j < len(toks) and toks[j].pos_ in _KIND_POS and toks[j].text not in ("?", ",", ".", "'s", "’s"):
        if toks[j].pos_ == "VERB" and toks[j].tag_ not in ("VBN", "VBG"):
            break
        if run and run[-1].pos_ == "NOUN" and toks[j].pos_ != "NOUN":
            break
        run.append(toks[j])
        j += 1
    while run and run[-1].pos_ != "NOUN":
        run.pop()
    words = [t.text for t in run if t.pos_ not in ("PROPN", "PUNCT", "NUM")]
    return " ".join(words[-4:]) or None


class PhraseVectors:
    """Unit vectors for short texts, from an embedding function, cached in memory (LRU)."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], size: int = 50_000):
        self.encode = encode
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # one archive answers several requests at once

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:  # encoded outside the lock; a text two requests both miss is encoded twice at worst
            for text, vec in zip(todo, self.encode(todo)):
                known[text] = vec / (np.linalg.norm(vec) or 1.0)
        with self._lock:
            for t in dict.fromkeys(texts):
                self._cache[t] = known[t]
                self._cache.move_to_end(t)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


def similarities(kind: str, texts: Sequence[str], vectors: PhraseVectors) -> list[float]:
    """Each text's cosine with the kind asked for."""
    if not texts:
        return []
    found = vectors([kind, *texts])
    return [float(x) for x in found[1:] @ found[0]]
