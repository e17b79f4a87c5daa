"""The tokenizer's stems are the Snowball English stems, whichever backend computes them."""
from pathlib import Path

import snowballstemmer
from snowballstemmer.english_stemmer import EnglishStemmer

from qa.text.tokens import POSSESSIVE, WORD, stem

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_stems_are_the_pure_python_snowball_stems():
    # PyStemmer (C) is installed for speed; the stems the store and the reader agree on must not
    # change with it. Every word of the seed articles, and forms a stemmer treats specially.
    assert type(snowballstemmer.stemmer("english")).__module__ == "Stemmer"  # the C backend is the one compared
    words = {w.lower() for f in SEEDS.iterdir() if f.is_file() for w in WORD.findall(f.read_text(errors="ignore"))}
    words |= {"countries", "generously", "meeting", "met", "dying", "news", "skies", "iraqi's"}
    reference = EnglishStemmer()
    assert len(words) > 1000
    assert {w: stem(w) for w in words} == {w: reference.stemWord(POSSESSIVE.sub("", w.replace("’", "'"))) for w in words}
