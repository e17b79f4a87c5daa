"""Small span helpers shared by the extractors: title words, lists, brackets, and finding the
sentence around a position of an article."""
from __future__ import annotations

import re

from qa.reading import Sentence
from qa.text import nlp
from qa.types import Span

NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "PRODUCT", "EVENT", "LAW"})


LOCATIVE = {"in", "at", "near", "outside", "inside", "around", "across", "within", "beside", "off"}


TITLE_WORDS = {
    "minister", "president", "vice", "prime", "foreign", "ambassador", "head", "chief",
    "leader", "secretary", "speaker", "director", "commander", "advisor", "adviser", "envoy",
    "spokesman", "chairman", "king", "queen", "deputy", "general", "governor", "mayor",
    "supreme", "caretaker", "diplomat", "attaché", "senator", "judge", "ayatollah", "sheikh",
    "lt", "gen", "gen.", "lt.", "crown", "prince",
}


def joins(gap: str) -> bool:
    """Only commas, 'and' and titles between two entities: they form one list."""
    gap = re.sub(r"\s+", " ", gap)  # news text is full of non-breaking spaces
    words = re.findall(r"[\w.'’-]+", gap)
    rest = [w for w in words if w.lower() not in ("and", "or", "&") and
            (w.lower() in TITLE_WORDS or w[:1].isupper())]
    return len(gap) <= 60 and len(rest) == len([w for w in words if w.lower() not in ("and", "or")]) \
        and any(c in gap for c in ",&") | (" and " in f" {gap} ") | (" or " in f" {gap} ")


def title_start(text: str, floor: int, start: int) -> int:
    """Move a start left over capitalised title words ('Iraqi President ')."""
    for m in reversed(list(re.finditer(r"[\w.'’-]+", text[floor:start]))):
        w = m[0]
        if w[:1].isupper() and w not in ("The", "A", "An") and (m.start() > 0 or w.lower() in TITLE_WORDS):
            start = floor + m.start()
        else:
            break
    return start


def balanced(phrase: str) -> str:
    """A phrase cut inside brackets loses the open bracket and what follows it."""
    if phrase.count("(") > phrase.count(")"):
        phrase = phrase[: phrase.rfind("(")].rstrip()
    return phrase


def one_per_article(sentences: list[Sentence]) -> list[Sentence]:
    """The best sentence of each retrieved article that may answer (not a later one's)."""
    seen: set[str] = set()
    out = []
    for sent in sentences:
        if sent.passage.doc_id not in seen and sent.passage.tier != 2:
            seen.add(sent.passage.doc_id)
            out.append(sent)
    return out


def sentence_at(like: Sentence, pos: int, score: float) -> Sentence | None:
    """The sentence of `like`'s article around a character position, with its entities."""
    text = like.article_text
    # A window around the position, from a line start where one is near: parsing a whole
    # long article per question would cost more than the rest of the answer.
    lo = max(text.rfind("\n", 0, pos) + 1, pos - 600, 0)
    hi = text.find("\n", pos)
    hi = min(hi if hi >= 0 else len(text), pos + 400)
    doc = nlp.ingest()(text[lo: hi])
    for s in doc.sents:
        if lo + s.start_char <= pos < lo + s.end_char:
            ents = [Span(lo + e.start_char, lo + e.end_char, e.label_) for e in s.ents]
            a = lo + s.start_char + (len(s.text) - len(s.text.lstrip()))
            span = Span(a, a + len(s.text.strip()))
            return Sentence(like.passage, span, text[span.start: span.end], score, ents)
    return None


FIGURES = frozenset({"MONEY", "CARDINAL", "QUANTITY"})
# Hand-written, since no currency list ships offline: the currencies news writes out in words,
# and the ISO codes written before a figure ("NOK 3.2 million"). The tagger often calls such a
# figure CARDINAL or QUANTITY and leaves the currency outside the span.
_CURRENCY_WORD = (r"(?:(?:US|U\.S\.|Canadian|Australian|Hong Kong|New Zealand|Norwegian|Swedish|Danish|Iraqi|"
                  r"Iranian|Saudi|Indian|Chinese|Japanese|Russian|Swiss|Turkish)\s+)?"
                  r"(?:dollars?|euros?|pounds?(?:\s+sterling)?|yen|yuan|renminbi|rupees?|rubles?|roubles?|francs?|"
                  r"kroner|kronor|kron[ae]|won|pesos?|reais|rand|shekels?|dinars?|dirhams?|riyals?|rials?|"
                  r"tomans?|liras?|zloty|forints?)\b")
_CURRENCY_AFTER = re.compile(r"^\s+" + _CURRENCY_WORD, re.I)
_CURRENCY_BEFORE = re.compile(r"(?:\b(?:USD|EUR|GBP|JPY|CNY|INR|RUB|CHF|NOK|SEK|DKK|KRW|MXN|BRL|ZAR|ILS|IQD|IRR|"
                              r"AED|SAR|TRY|PLN|HUF|CAD|AUD|NZD|HKD|SGD)\s?|[$€£¥₹₽₩₪])$")


def with_currency(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """A figure's span widened to the currency written beside it ("$", "NOK ", " kroner"), and
    whether there was one: "How much" is answered with the money, not a bare number."""
    found = False
    if m := _CURRENCY_BEFORE.search(text, max(0, start - 4), start):
        start, found = m.start(), True
    if m := _CURRENCY_AFTER.match(text[end: end + 40]):
        end, found = end + m.end(), True
    return start, end, found
