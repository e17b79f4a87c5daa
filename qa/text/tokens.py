"""The one tokenizer: words, their stems and inflections, stop words and question words.

Retrieval, question analysis, the extractive reader and the verifier of generated sentences
all see words the same way through this module.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import lemminflect
import snowballstemmer
from spacy.lang.en.stop_words import STOP_WORDS

__all__ = ["POSSESSIVE", "STOP_WORDS", "QUESTION_WORDS", "WORD", "query_terms", "stem", "stems_match", "tokens",
           "word_forms"]

_LOCAL = threading.local()  # a snowball stemmer keeps state while it works: one per thread
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.U)  # a word, with its inner apostrophes
POSSESSIVE = re.compile(r"['’]s$")
QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "when", "where", "which", "why", "how"})
DEMONYM_SUFFIXES = {"i", "n", "an", "ian", "ese", "ish"}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(POSSESSIVE.sub("", word.lower().replace("’", "'")))


def stems_match(a: str, b: str) -> bool:
    """Same stem, or a name and its demonym (Iraq/Iraqi, Iran/Iranian)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and long_.startswith(short) and long_[len(short):] in DEMONYM_SUFFIXES


@lru_cache(maxsize=4096)
def word_forms(word: str) -> frozenset[str]:
    """Stems of a word's inflections: irregular ones too ("meet" → met), which a stemmer misses."""
    out = {stem(word)}
    if word[:1].isupper() or not word.isalpha():
        return frozenset(out)  # names don't inflect
    for lemmas in lemminflect.getAllLemmas(word.lower()).values():
        for lemma in lemmas:
            for forms in lemminflect.getAllInflections(lemma).values():
                out.update(stem(f) for f in forms)
    return frozenset(out)


def tokens(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """(stem, start, end) for the words of a text; offsets shifted by `offset`."""
    return [(stem(m[0]), m.start() + offset, m.end() + offset) for m in WORD.finditer(text)]


def query_terms(text: str) -> list[str]:
    """Content words for BM25: no stop words, no question words, each once, lower case."""
    seen: dict[str, None] = {}
    for m in WORD.finditer(text):
        w = POSSESSIVE.sub("", m[0].lower())
        if w in STOP_WORDS or w in QUESTION_WORDS or len(w) < 2:
            continue
        seen.setdefault(w, None)
    return list(seen)
