"""What a question asks for: its answer type, its focus noun, its content words and its time."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Doc

from qa.text import nlp
from qa.text.dates import DateRange, question_time
from qa.text.tokens import POSSESSIVE, QUESTION_WORDS, STOP_WORDS, WORD, stem, stems_match, tokens, word_forms  # noqa: F401


PERSON_NOUNS = {
    "president", "minister", "leader", "official", "person", "man", "woman", "ambassador",
    "speaker", "head", "director", "chief", "commander", "diplomat", "candidate", "spokesman",
    "spokesperson", "spokeswoman", "king", "queen", "prince", "princess", "player", "coach",
    "ceo", "founder", "author", "winner", "champion", "actor", "actress", "singer", "politician",
    "envoy", "governor", "mayor", "judge", "general", "secretary", "chairman", "chairwoman",
    "member", "journalist", "victim", "suspect", "pope", "senator", "lawmaker", "premier",
    "monarch", "royal", "artist", "musician", "rapper", "driver", "athlete", "star", "people",
    "cleric", "ayatollah", "attaché", "attache", "advisor", "adviser", "figure", "successor",
    "predecessor", "executive", "owner", "billionaire", "scientist", "economist", "analyst",
    "writer", "director", "host", "presenter", "manager", "boss", "captain", "striker",
}
ORG_NOUNS = {
    "movement", "organization", "organisation", "group", "party", "agency", "bloc", "network",
    "council", "company", "government", "team", "ministry", "committee", "union", "alliance",
    "militia", "newspaper", "channel", "broadcaster", "firm", "bank", "club", "university",
    "court", "parliament", "force", "army", "institution", "body", "outlet", "station",
    "brand", "airline", "publication", "magazine", "startup", "retailer", "automaker",
    "manufacturer", "carrier", "network", "charity", "school", "college", "department",
}
PLACE_NOUNS = {
    "city", "country", "town", "province", "region", "capital", "state", "place", "nation",
    "location", "area", "village", "county", "island", "continent", "territory", "district",
    "neighborhood", "neighbourhood", "nations", "countries", "cities",
}
TIME_NOUNS = {"year", "date", "day", "month", "time", "decade", "century", "week", "hour", "minute"}
# What a span of time is counted in: "how many days" asks how long ("how many times" does not).
TIME_UNITS = {"year", "month", "week", "day", "hour", "minute", "decade", "century"}
# A measure asks for a figure as much as "number" does ("what was the magnitude of the quake").
NUMBER_NOUNS = {"number", "amount", "percentage", "percent", "share", "sum", "price", "cost",
                "figure", "total", "count", "age", "magnitude", "size", "height", "length", "depth",
                "distance", "speed", "temperature", "weight", "population", "toll", "capacity"}
# "At what price", "what percentage": the amount is of one kind; a bare count ("three") is not it.
MONEY_NOUNS = {"price", "cost", "fee", "fine", "salary", "budget", "funding", "sum", "bill", "fare",
               "wage", "tariff", "bail", "reward", "valuation", "revenue", "profit", "loss"}
PERCENT_NOUNS = {"percentage", "percent", "rate", "share", "proportion"}
TITLE_NOUNS = {"position", "title", "role", "job", "post", "office", "rank"}

PERSON = frozenset({"PERSON"})
WHO = frozenset({"PERSON", "ORG", "NORP"})
ORG = frozenset({"ORG", "NORP"})
PLACE = frozenset({"GPE", "LOC", "FAC"})
WHEN = frozenset({"DATE", "TIME"})
NUMBER = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
MONEY = frozenset({"MONEY", "CARDINAL", "QUANTITY"})
DURATION = frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})
AGE = frozenset({"DATE", "CARDINAL"})
MONEY_ONLY = frozenset({"MONEY"})
PERCENT_ONLY = frozenset({"PERCENT"})


@dataclass
class Term:
    text: str
    stem: str
    proper: bool  # a name or number in the question: what the answer must be about
    forms: frozenset[str] = frozenset()  # stems of its inflections (met, meeting for "meet")


# The entity classes of proper names: what an article about the question's subject writes as
# written (a figure in the question, "more than 870,000", seldom is).
PROPER_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})


@dataclass
class QuestionInfo:
    text: str
    wh: str  # who, when, where, why, how many, how much, how long, which, what, how, other
    labels: frozenset[str] = frozenset()  # entity labels an answer may have; empty = open
    focus: str | None = None  # head noun after which/what ("movement"), stemmed
    focus_word: str | None = None
    role: str | None = None  # what "who is/was …" says the answer is ("Iran's president": president), stemmed
    is_list: bool = False
    terms: list[Term] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # names in the question (never the answer)
    people: list[str] = field(default_factory=list)  # those of them that name a person
    proper: list[str] = field(default_factory=list)  # those that are proper names (not a figure)
    time: DateRange | None = None
    ahead: DateRange | None = None  # a time after the asking day: when the event asked about will be
    doc: Doc | None = None


def _focus(doc: Doc, wh_index: int) -> tuple[str | None, bool]:
    """The head noun the wh-word asks about: 'which government', 'what was the codename of'."""
    toks = list(doc)
    j = wh_index + 1
    # "what was the codename of ..." / "what is the name of ...": skip the copula.
    if j < len(toks) and toks[j].lemma_ in ("be",) or (j < len(toks) and toks[j].lower_ in ("is", "was", "are", "were", "'s", "’s")):
        j += 1
        while j < len(toks) and toks[j].pos_ in ("DET",):
            j += 1
        # "What was Zarif's position": skip a possessor.
        k = j
        while k < len(toks) and (toks[k].pos_ in ("PROPN", "ADJ") or toks[k].tag_ == "POS" or toks[k].text in ("'s", "’s")):
            k += 1
        if k < len(toks) and toks[k].pos_ == "NOUN" and any(t.tag_ == "POS" or t.text in ("'s", "’s") for t in toks[j:k]):
            j = k
    noun = None
    plural = False
    while j < len(toks) and toks[j].pos_ in ("ADJ", "NOUN", "PROPN", "NUM", "DET", "PUNCT") and toks[j].text not in ("?", ","):
        if toks[j].pos_ == "NOUN":
            noun = toks[j]
        elif noun is not None and toks[j].pos_ != "NOUN":
            break
        j += 1
    if noun is None:
        return None, False
    plural = noun.tag_ in ("NNS", "NNPS")
    return noun.text.lower(), plural


def _singular(noun: str) -> str:
    """A plural noun's singular, as far as spelling tells ("days", "cities"; not "class")."""
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    return noun.rstrip("s") if noun.endswith("s") and not noun.endswith("ss") else noun


def analyse(question: str, reference: date) -> QuestionInfo:
    doc = nlp.full()(question)
    low = question.lower()
    info = QuestionInfo(text=question, wh="other", doc=doc)
    info.time = question_time(question, reference)
    if info.time is not None and info.time.start > reference:
        # A time ahead ("next month", "the 2026 World Cup") is when the event will be, not when
        # articles about it were published: its words are searched, and only articles older
        # than the time is far ahead are left out (ahead_since).
        info.ahead, info.time = info.time, None
    toks = list(doc)
    wh_index = next((i for i, t in enumerate(toks) if t.lower_ in
                     ("who", "whom", "whose", "what", "when", "where", "which", "why", "how")), None)
    wh = toks[wh_index].lower_ if wh_index is not None else "other"
    nxt = toks[wh_index + 1].lower_ if wh_index is not None and wh_index + 1 < len(toks) else ""
    focus, plural = (None, False)
    if wh in ("which", "what", "whose") or (wh == "how" and nxt in ("many", "much")):
        focus, plural = _focus(doc, wh_index + (1 if wh == "how" else 0))
    if wh in ("who", "whom") and nxt in ("is", "was", "are", "were", "'s", "’s"):
        # "Who was Iran's president …": the title the answer is written with ("President Hassan
        # Rouhani"); not a focus, which the rules and the sentence scores read as the kind of
        # answer: here the kind is a person.
        role, _ = _focus(doc, wh_index)
        info.role = stem(role) if role else None
    if wh == "how" and nxt in ("many", "much", "long", "old", "far"):
        wh = f"how {nxt}"
    info.wh = wh
    info.focus_word = focus
    info.focus = stem(focus) if focus else None
    if wh in ("who", "whom"):
        info.labels = WHO
        info.is_list = bool(re.search(r"\bwho (?:are|were)\b", low))
    elif wh == "whose":
        info.labels = PERSON
    elif wh == "when":
        info.labels = WHEN
    elif wh == "where":
        info.labels = PLACE
    elif wh == "how many":
        # "How many days after …": a count of a time unit is a span of time ("five days"), which
        # the tagger labels a date; a count of anything else is a number.
        info.labels = DURATION if focus and _singular(focus) in TIME_UNITS else NUMBER
    elif wh == "how much":
        info.labels = MONEY
    elif wh in ("how long", "how far"):
        info.labels = DURATION
    elif wh == "how old":
        info.labels = AGE
    elif wh in ("which", "what") and focus:
        singular = _singular(focus)
        for nouns, labels in ((PERSON_NOUNS, PERSON), (PLACE_NOUNS, PLACE), (TIME_NOUNS, WHEN),
                              (MONEY_NOUNS, MONEY_ONLY), (PERCENT_NOUNS, PERCENT_ONLY), (NUMBER_NOUNS, NUMBER)):
            if focus in nouns or singular in nouns:
                info.labels = labels
                break
        info.is_list = plural or bool(re.search(r"\b(?:which|what) (?:two|three|four|five)\b", low))
    info.named = [e.text for e in doc.ents if e.label_ not in ("DATE", "TIME", "ORDINAL")]
    info.people = [POSSESSIVE.sub("", e.text) for e in doc.ents if e.label_ == "PERSON"]
    info.proper = [POSSESSIVE.sub("", e.text) for e in doc.ents if e.label_ in PROPER_LABELS]
    time_words = set(tokens(info.time.phrase)) if info.time else set()
    time_stems = {t[0] for t in time_words}
    proper_stems = {stem(w) for e in doc.ents if e.label_ not in ("DATE", "TIME") for w in WORD.findall(e.text)}
    proper_stems |= {stem(t.text) for t in doc if t.pos_ == "PROPN"}
    seen: set[str] = set()
    for m in WORD.finditer(question):
        word = POSSESSIVE.sub("", m[0])
        w = word.lower()
        s = stem(word)
        if w in STOP_WORDS or w in QUESTION_WORDS \
                or s in time_stems or (len(w) < 2 and not w.isdigit()) or s in seen:
            continue
        seen.add(s)
        info.terms.append(Term(word, s, s in proper_stems or word[:1].isdigit(), word_forms(word)))
    return info


def ahead_since(ahead: DateRange, reference: date) -> date:
    """The oldest publication day that may report a time ahead: as far before the asking day as
    the time's end lies after it ("next month" asked on 26 January: from late December on)."""
    return reference - (ahead.end - reference)
