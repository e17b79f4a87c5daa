"""The extractive answer: a short span of one retrieved sentence, with its citation.

No language model: the question's type decides what span to cut (a person for who, a date
for when, a number for how many, the phrase after 'because' for why, the noun phrase
that names the question's focus for which/what), and the support score (how much of the
question, weighted by rarity, the sentence and its passage contain) decides whether to
answer at all. Every answer string is a slice of the article text it cites.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from spacy.lang.en.stop_words import STOP_WORDS

from qa.text import nlp
from qa.text.dates import states_time
from qa.types import Span
from qa.ask.question import (
    MONEY_ONLY,
    NUMBER,
    PERCENT_ONLY,
    ORG_NOUNS,
    PERSON,
    PLACE,
    TITLE_NOUNS,
    QuestionInfo,
    stem,
    stems_match,
    tokens,
)
from qa.ask.retrieval import RetrievedPassage

UNDATED_WEIGHT = 0.9  # an article of unknown date supports a dated question a little less
SOMEONE_ELSE_WEIGHT = 0.6  # a sentence about other people, not the person the question names
TITLE_MATCH_BONUS = 1.25  # "Who is Iraq's prime minister?": the person written after that title
NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "PRODUCT", "EVENT", "LAW"})
LOCATIVE = {"in", "at", "near", "outside", "inside", "around", "across", "within", "beside", "off"}
_PRONOUN = re.compile(r"\b(?:he|she|his|her|him|hers|himself|herself)\b", re.I)
_CONSEQUENCE = re.compile(r"^\W*(?:(?:that|this)(?:['’]s|\s+is|\s+was)\s+why|therefore|hence|"
                          r"for (?:this|that) reason|consequently|as a result)\b", re.I)
TITLE_WORDS = {
    "minister", "president", "vice", "prime", "foreign", "ambassador", "head", "chief",
    "leader", "secretary", "speaker", "director", "commander", "advisor", "adviser", "envoy",
    "spokesman", "chairman", "king", "queen", "deputy", "general", "governor", "mayor",
    "supreme", "caretaker", "diplomat", "attaché", "senator", "judge", "ayatollah", "sheikh",
    "lt", "gen", "gen.", "lt.", "crown", "prince",
}
_WHY_CUES = re.compile(
    r"\b(because(?: of)?|due to|owing to|as a result of|in response to|in retaliation for|"
    r"in order to|so that|since|after|for the sake of)\b", re.I)
# The surest cue first: "because" states a cause; "after" or "since" may only state a time.
_CUE_RANK = {"because": 0, "because of": 0, "due to": 1, "owing to": 1, "as a result of": 1,
             "in response to": 2, "in retaliation for": 2, "in order to": 3, "so that": 3,
             "for the sake of": 3, "since": 4, "after": 5}
_CLAUSE_END = re.compile(r"\s*(?:[;:]|,\s+(?:and|but|while|which|who|where|adding|noting|stressing|"
                         r"saying|as|the|a|an|he|she|it|they|this|that)\b|,\s+[A-Z]|\.\s*$|\.[\"”’]?$)")


@dataclass
class Sentence:
    passage: RetrievedPassage
    span: Span
    text: str
    score: float
    entities: list[Span]
    article_text: str


@dataclass
class Extracted:
    sentence: Sentence
    start: int  # offsets into the article text
    end: int
    text: str
    score: float


class Weights(dict):
    """Question term stem → weight (rarer and proper terms weigh more), with each term's
    inflected forms, so that "met" supports "meet"."""

    def __init__(self, weights: dict[str, float], forms: dict[str, frozenset[str]]):
        super().__init__(weights)
        self.forms = forms


def _weights(info: QuestionInfo, idf: dict[str, float]) -> Weights:
    return Weights({t.stem: idf.get(t.text.lower(), 1.0) * (1.5 if t.proper else 1.0) for t in info.terms},
                   {t.stem: t.forms or frozenset({t.stem}) for t in info.terms})


def coverage(words: list[tuple[str, int, int]], weights: dict[str, float]) -> tuple[float, list[tuple[str, int, int]]]:
    """The share of the question's weight that a text's words contain, and which words matched."""
    total = sum(weights.values()) or 1.0
    forms = getattr(weights, "forms", {})
    found: set[str] = set()
    hits: list[tuple[str, int, int]] = []
    for w in words:
        for q in weights:
            if stems_match(w[0], q) or w[0] in forms.get(q, ()):
                found.add(q)
                hits.append((q, w[1], w[2]))
    return sum(weights[q] for q in found) / total, hits


def candidate_sentences(info: QuestionInfo, passages: list[RetrievedPassage], article_text: dict[str, str],
                        idf: dict[str, float]) -> list[Sentence]:
    weights = _weights(info, idf)
    focus_weight = weights.get(info.focus, 0.0) / (sum(weights.values()) or 1.0) if info.labels else 0.0
    out: list[Sentence] = []
    for rank, p in enumerate(passages):
        text = article_text[p.doc_id]
        p_cov, _ = coverage(tokens(p.text, p.start), weights)
        entities = [Span(s, e, lab) for s, e, lab in p.metadata.get("entities", [])]
        for s, e in p.metadata.get("sentences", []):
            sent_ents = [x for x in entities if s <= x.start and x.end <= e]
            if p.tier == 2 and not states_time([text[x.start:x.end] for x in sent_ents if x.label == "DATE"],
                                               info.time, p.published_on):
                continue  # a later article answers a dated question only where it states the date
            s_cov, hits = coverage(tokens(text[s:e], s), weights)
            if focus_weight and not any(q == info.focus for q, _, _ in hits) and any(
                    x.label in info.labels and not _mentions_question(text[x.start:x.end], info) for x in sent_ents):
                s_cov += focus_weight  # "which officials": a named official is one
            score = 0.7 * s_cov + 0.3 * p_cov + 0.02 / (rank + 1)
            if p.tier == 1:
                score *= UNDATED_WEIGHT
            if _about_someone_else(info, text, s, e, sent_ents):
                score *= SOMEONE_ELSE_WEIGHT
            out.append(Sentence(p, Span(s, e), text[s:e], score, sent_ents, text))
    out.sort(key=lambda x: -x.score)
    return out


def _same_name(a: str, b: str) -> bool:
    """Two spellings of one name part ("Al-Kazemi", "Al-Kazimi")."""
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if min(len(a), len(b)) < 5:
        return False
    m = SequenceMatcher(None, a, b)
    return m.real_quick_ratio() >= 0.8 and m.quick_ratio() >= 0.8 and m.ratio() >= 0.8


def _about_someone_else(info: QuestionInfo, text: str, start: int, end: int, ents: list[Span]) -> bool:
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
        if parts and not any(_same_name(p, w) for p in parts for w in words):
            return True
    return False


def _proximity(sentence: Sentence, start: int, end: int, weights: dict[str, float]) -> float:
    """How close a span lies to the question's words in its sentence, weighted by rarity."""
    _, hits = coverage(tokens(sentence.text, sentence.span.start), weights)
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


def _mentions_question(text: str, info: QuestionInfo, phrase: bool = False) -> bool:
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


def _extend_list(sentence: Sentence, ent: Span, pool: list[Span], text: str) -> tuple[int, int]:
    """A coordinated run of same-kind entities around `ent` ('A, B and C'), with titles."""
    idx = pool.index(ent)
    start, end = ent.start, ent.end
    i = idx
    while i > 0 and _joins(text[pool[i - 1].end: pool[i].start]):
        i -= 1
    j = idx
    while j + 1 < len(pool) and _joins(text[pool[j].end: pool[j + 1].start]):
        j += 1
    start, end = pool[i].start, pool[j].end
    if i != j:
        gaps = " ".join(text[pool[k].end: pool[k + 1].start] for k in range(i, j))
        if any(w.lower() in TITLE_WORDS for w in re.findall(r"[\w.]+", gaps)):
            start = _title_start(text, sentence.span.start, start)
    return start, end


def _joins(gap: str) -> bool:
    """Only commas, 'and' and titles between two entities: they form one list."""
    gap = re.sub(r"\s+", " ", gap)  # news text is full of non-breaking spaces
    words = re.findall(r"[\w.'’-]+", gap)
    rest = [w for w in words if w.lower() not in ("and", "or", "&") and
            (w.lower() in TITLE_WORDS or w[:1].isupper())]
    return len(gap) <= 60 and len(rest) == len([w for w in words if w.lower() not in ("and", "or")]) \
        and any(c in gap for c in ",&") | (" and " in f" {gap} ") | (" or " in f" {gap} ")


def _title_start(text: str, floor: int, start: int) -> int:
    """Move a start left over capitalised title words ('Iraqi President ')."""
    for m in reversed(list(re.finditer(r"[\w.'’-]+", text[floor:start]))):
        w = m[0]
        if w[:1].isupper() and w not in ("The", "A", "An") and (m.start() > 0 or w.lower() in TITLE_WORDS):
            start = floor + m.start()
        else:
            break
    return start


def _modifiers(sentence: Sentence) -> list[tuple[int, int]]:
    """Title runs written before people ("Iran's Supreme National Security Council Secretary",
    "Iranian President"): an entity inside one describes that person; it isn't another answer."""
    out = []
    for ent in sentence.entities:
        if ent.label == "PERSON":
            start = _title_start(sentence.article_text, sentence.span.start, ent.start)
            if start < ent.start:
                out.append((start, ent.start))
    return out


def _title_words(info: QuestionInfo) -> set[str]:
    """What the person asked for must be written with: the question's title words ("prime
    minister"), or what qualifies its person noun ("Iraqi" in "which Iraqi officials")."""
    wanted = {t.stem for t in info.terms if t.text.lower() in TITLE_WORDS}
    if info.doc is not None and info.focus_word:
        for tok in info.doc:
            if tok.lower_ == info.focus_word:
                wanted |= {stem(c.text) for c in tok.children
                           if c.dep_ in ("amod", "compound", "poss") and c.text[:1].isupper()}
                break
    return wanted


def _holds_title(sentence: Sentence, ent: Span, info: QuestionInfo, wanted: set[str]) -> bool:
    """Is this person written with the title the question asks about, and not with another
    country's ("Iraqi Prime Minister X" for "Iraq's prime minister", not "Iranian ...")?"""
    text = sentence.article_text
    start = _title_start(text, sentence.span.start, ent.start)
    run = text[start: ent.start]
    after = re.match(r",\s+(?:the|a|an)?\s*([^,.;]{0,60})", text[ent.end: sentence.span.end])
    for words in (run, after[1] if after else ""):
        if re.search(r"\b(?:former|ex|late|then|outgoing|previous|acting)\b", words, re.I) and \
                not re.search(r"\b(?:former|ex|late|then|outgoing|previous|acting)\b", info.text, re.I):
            continue  # "Adel Abdul Mahdi, the former prime minister" no longer holds the title
        stems = [w for w, _, _ in tokens(words)]
        if not stems or not all(any(stems_match(w, t) for w in stems) for t in wanted):
            continue
        proper = [w for w, _, _ in tokens(" ".join(x for x in re.findall(r"[\w'’-]+", words)
                                                 if x[:1].isupper() and x.lower() not in TITLE_WORDS))]
        named = [t.stem for t in info.terms if t.proper]
        if all(any(stems_match(p, n) for n in named) for p in proper):
            return True
    return False


def _entity_answer(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float],
                   labels: frozenset[str]) -> Extracted | None:
    best: Extracted | None = None
    wanted_title = _title_words(info) if "PERSON" in labels else set()
    for sent in sentences[:12]:
        full = sent.text
        pool = _pool(sent, labels)
        if "PERSON" in labels:
            # Who-questions want the person, not the organisation in their title.
            mods = _modifiers(sent)
            pool = [e for e in pool if e.label == "PERSON" or not any(a <= e.start < b or a < e.end <= b for a, b in mods)]
        for ent in pool:
            ent_text = full[ent.start - sent.span.start: ent.end - sent.span.start]
            if _mentions_question(ent_text, info):
                continue
            if info.time and ent.label == "DATE" and info.time.phrase and ent_text.lower() in info.time.phrase.lower():
                continue
            prox = _proximity(sent, ent.start, ent.end, weights)
            score = sent.score * (0.55 + 0.45 * prox)
            if info.wh in ("who", "whom") and ent.label != "PERSON":
                score *= 0.85  # "who" asks for a person first, an organisation second
            if wanted_title and ent.label == "PERSON" and _holds_title(sent, ent, info, wanted_title):
                score = sent.score * TITLE_MATCH_BONUS
            start, end = ent.start, ent.end
            if ent.label == "MONEY" and start > 0 and unicodedata.category(sent.article_text[start - 1]) == "Sc":
                start -= 1  # the tagger leaves a currency sign outside: "€45"
            if info.is_list:
                names = [e for e in pool if not _mentions_question(
                    full[e.start - sent.span.start: e.end - sent.span.start], info)]
                start, end = _extend_list(sent, ent, names, sent.article_text)
                items = sum(1 for e in names if start <= e.start and e.end <= end)
                score *= 1 + 0.1 * min(items - 1, 4)  # a list question is answered by the list
            if best is None or score > best.score:
                best = Extracted(sent, start, end, sent.article_text[start:end], score)
    return best


def _pool(sent: Sentence, labels: frozenset[str]) -> list[Span]:
    """The sentence's entities of the wanted kinds. For places also names after a locative
    preposition, and the names listed with them ("in Erbil and Sulaymaniyah")."""
    pool: list[Span] = []
    for e in sent.entities:
        if e.label in labels or (labels == PLACE and (
                _after_locative(sent, e) or (pool and _joins(sent.article_text[pool[-1].end: e.start])
                                             and e.label not in ("DATE", "TIME", "CARDINAL")))):
            pool.append(e)
    return pool


def _after_locative(sentence: Sentence, ent: Span) -> bool:
    """A name after 'in', 'at', 'near' is a place, whatever the tagger called it ("in Erbil")."""
    if ent.label in ("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"):
        return False
    before = sentence.article_text[sentence.span.start: ent.start]
    m = re.search(r"([A-Za-z]+)\s+(?:the\s+)?$", before)
    return bool(m and m[1].lower() in LOCATIVE)


def _why_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
    """The reason: the phrase a causal cue opens ("because King Salman was hospitalized"), or,
    when the sentence says "That's why ...", the sentence before it."""
    for sent in sentences[:3]:
        if _CONSEQUENCE.match(sent.text):
            before = _previous(sent, sentences)
            if before is not None:
                # Quote both sentences: the cause, and the one that ties it to the question.
                both = Sentence(before.passage, Span(before.span.start, sent.span.end),
                                sent.article_text[before.span.start: sent.span.end], sent.score,
                                before.entities + sent.entities, sent.article_text)
                cause = _without_intro(before, info)
                return Extracted(both, cause.start, cause.end, cause.text, sent.score)
        cues = [m for m in _WHY_CUES.finditer(sent.text) if not _cue_is_verb_phrase(sent.text, m)]
        if not cues:
            continue
        m = min(cues, key=lambda c: (_CUE_RANK.get(re.sub(r"\s+", " ", c[1].lower()), 9), c.start()))
        rest = sent.text[m.start():]
        end = _CLAUSE_END.search(rest, m.end() - m.start() + 3)
        phrase = rest[: end.start() if end else len(rest)].rstrip(" ,;:.")
        start = sent.span.start + m.start()
        return Extracted(sent, start, start + len(phrase), phrase, sent.score)
    return None


def _cue_is_verb_phrase(text: str, m: re.Match) -> bool:
    """'was due to visit' (scheduled) and 'since 2003' (a time) are not causes."""
    cue = m[1].lower()
    nxt = re.match(r"\s+([\w'’-]+)", text[m.end():])
    if not nxt:
        return True
    if cue == "due to":
        doc = nlp.full()(text[max(0, m.start() - 40): m.end() + 40])
        for tok in doc:
            if tok.text == nxt[1] and tok.idx > 0:
                return tok.pos_ in ("VERB", "AUX") or tok.tag_ == "VB"
    if cue in ("since", "after"):
        return nxt[1][:1].isdigit() or nxt[1].lower() in ("then", "the", "a", "an", "last", "its", "his", "her", "their")
    return False


def _previous(sent: Sentence, sentences: list[Sentence]) -> Sentence | None:
    """The candidate sentence of the same article that ends just before this one starts."""
    doc = sent.passage.doc_id
    before = [x for x in sentences if x.passage.doc_id == doc and x.span.end <= sent.span.start
              and not sent.article_text[x.span.end: sent.span.start].strip()]
    return max(before, key=lambda x: x.span.end) if before else None


def _without_intro(sent: Sentence, info: QuestionInfo) -> Extracted:
    """The sentence without an opening phrase that only repeats the question
    ("In General Soleimani's assassination, ..."), quotes and final stop."""
    text = sent.text
    a = 0
    m = re.match(r"^[\"“‘']?\s*([^,]{1,80}),\s+", text)
    if m and all(any(stems_match(w, t.stem) for t in info.terms) or w in STOP_WORDS or w in TITLE_WORDS
                 for w, _, _ in tokens(m[1])):
        a = m.end()
    a += len(text[a:]) - len(text[a:].lstrip("\"“‘' "))
    phrase = text[a:].rstrip(" .\"”’'")
    start = sent.span.start + a
    return Extracted(sent, start, start + len(phrase), phrase, sent.score)


def _one_per_article(sentences: list[Sentence]) -> list[Sentence]:
    """The best sentence of each retrieved article that may answer (not a later one's)."""
    seen: set[str] = set()
    out = []
    for sent in sentences:
        if sent.passage.doc_id not in seen and sent.passage.tier != 2:
            seen.add(sent.passage.doc_id)
            out.append(sent)
    return out


def _first_mentions(info: QuestionInfo, sentences: list[Sentence]) -> list[Sentence]:
    """The sentence where each retrieved article first names the question's person: news
    style gives a person's full name and title there ("Iran's Vice President ..., Mohammad
    Javad Zarif, visited Iraq"), and only the surname after."""
    out: list[Sentence] = []
    for sent in _one_per_article(sentences):
        text = sent.article_text
        for person in info.people:
            surname = re.findall(r"[\w'’-]+", person)[-1]
            m = re.search(rf"\b{re.escape(surname)}\b", text)
            if m:
                found = _sentence_at(sent, m.start(), sent.score)
                if found is not None:
                    out.append(found)
    return out


def _sentence_at(like: Sentence, pos: int, score: float) -> Sentence | None:
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
            return Sentence(like.passage, span, text[span.start: span.end], score, ents, text)
    return None


def _title_holders(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float]) -> list[Sentence]:
    """'Who is Iraq's prime minister?': the retrieved articles' sentences that write the title
    before a name ("Iraqi Prime Minister Mustafa al-Kadhimi"), wherever in the article they are.
    Retrieval finds passages about the title; the holder's name may be elsewhere."""
    wanted = [t.text for t in info.terms if t.text.lower() in TITLE_WORDS]
    if not wanted:
        return []
    title = re.compile(r"(?i:" + r"\s+".join(re.escape(w) for w in wanted) + r")\s+(?=[A-Z])")
    out: list[Sentence] = []
    for sent in _one_per_article(sentences):
        for m in list(title.finditer(sent.article_text))[:3]:
            found = _sentence_at(sent, m.start(), 0.0)
            if found is None:
                continue
            s_cov, _ = coverage(tokens(found.text, found.span.start), weights)
            found.score = s_cov * (UNDATED_WEIGHT if sent.passage.tier == 1 else 1.0)
            out.append(found)
    return out


def _title_answer(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float]) -> Extracted | None:
    """'What was X's position?': the title written beside X's name. Its support is how much of
    the rest of the question the sentence holds: the title itself stands for 'position'."""
    names = [n for n in info.named if n]
    rest = Weights({k: v for k, v in weights.items() if k != info.focus} or weights, getattr(weights, "forms", {}))
    for sent in _first_mentions(info, sentences[:8]) + sentences[:8]:
        for ent in sent.entities:
            if ent.label != "PERSON":
                continue
            ent_text = sent.article_text[ent.start: ent.end]
            if not any(n.lower() in ent_text.lower() for n in names):
                continue
            floor = sent.span.start
            before = sent.article_text[floor: ent.start]
            stripped = before.rstrip()
            appos = stripped.endswith(",")
            end = floor + len(stripped.rstrip(",").rstrip())
            start = _title_start(sent.article_text, floor, end) if appos else _title_start(sent.article_text, floor, ent.start)
            if not appos:
                end = floor + len(before.rstrip())
            phrase = sent.article_text[start:end]
            # Allow lower-case joiners inside ("Vice President for Strategic Affairs").
            if appos:
                m = re.search(r"([A-Z][\w'’.-]*(?:\s+(?:for|of|the|and|[A-Z][\w'’.-]*))*)$", sent.article_text[floor:end])
                if m:
                    start = floor + m.start(1)
                    phrase = m[1]
            if phrase and any(w.lower() in TITLE_WORDS for w in re.findall(r"[\w.]+", phrase)):
                support = coverage(tokens(sent.text, sent.span.start), rest)[0]
                return Extracted(sent, start, start + len(phrase), phrase, max(sent.score, support))
    return None


def _balanced(phrase: str) -> str:
    """A phrase cut inside brackets loses the open bracket and what follows it."""
    if phrase.count("(") > phrase.count(")"):
        phrase = phrase[: phrase.rfind("(")].rstrip()
    return phrase


def _place_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
    """'Where were they assassinated?': the locative phrase that goes with the question's own
    event word ("assassinated ... near Baghdad's international airport"); 'in'/'at' dropped,
    'near'/'outside' kept, since they change the place."""
    events = {t.stem for t in info.terms if not t.proper}
    if not events:
        return None
    parser = nlp.full()
    for sent in sentences[:6]:
        if sent.score < 0.75 * sentences[0].score:
            break
        doc = parser(sent.text)
        anchors = [t for t in doc if any(stems_match(stem(t.text), e) for e in events)]
        options = []
        for anchor in anchors:
            for prep in anchor.subtree:
                if prep.dep_ != "prep" or prep.lower_ not in LOCATIVE:
                    continue
                objs = [c for c in prep.children if c.dep_ == "pobj"]
                if not objs or not any(t.pos_ == "PROPN" for t in objs[0].subtree):
                    continue
                toks = list(prep.subtree)
                a, b = toks[0].idx, toks[-1].idx + len(toks[-1].text)
                phrase = re.split(r",|\s(?:which|who|where|that|when|on|during|after|before)\s", sent.text[a:b])[0]
                phrase = _balanced(phrase.rstrip(" .;:"))
                if prep.lower_ in ("in", "at") or info.wh != "where":
                    a += len(prep.text_with_ws)
                    phrase = phrase[len(prep.text_with_ws):]
                if not phrase or _mentions_question(phrase, info, phrase=True):
                    continue
                options.append((abs(prep.i - anchor.i) + (0 if prep.i > anchor.i else 5), a, phrase))
        if options:
            _, a, phrase = min(options)
            start = sent.span.start + a
            return Extracted(sent, start, start + len(phrase), phrase, sent.score)
    return None


def _focus_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
    """'Which conference…': the noun phrase in the sentence headed by the focus noun."""
    parser = nlp.full()
    for sent in sentences[:3]:
        doc = parser(sent.text)
        for tok in doc:
            if not stems_match(stem(tok.text), info.focus or ""):
                continue
            if tok.pos_ == "VERB":  # "codenamed 'X'": the answer is what follows
                toks = [t for t in tok.subtree if t.i > tok.i]
            else:
                toks = list(tok.subtree)
                if not tok.text[:1].isupper():  # a common noun keeps its modifiers, not its PPs
                    toks = [t for t in toks if t.i <= tok.i]
            if not toks:
                continue
            a, b = toks[0].idx, toks[-1].idx + len(toks[-1].text)
            phrase = sent.text[a:b]
            cut = re.search(r",|\s(?:which|who|where|that)\s", phrase)
            if cut:
                phrase = phrase[: cut.start()]
            phrase = _balanced(phrase.strip(" \"“”'‘’"))
            if not phrase or stem(phrase) == info.focus:
                continue
            if _mentions_question(phrase, info, phrase=True) and tok.pos_ != "VERB":
                continue
            if not any(t.pos_ in ("PROPN", "NUM") or t.is_quote for t in toks if t.idx < a + len(phrase)):
                continue  # "an old-school video game" describes the answer; it doesn't name it
            a = sent.text.find(phrase, a)
            start = sent.span.start + a
            return Extracted(sent, start, start + len(phrase), phrase, sent.score)
    return None


def extract(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float]) -> Extracted | None:
    """The best span for the question's type; None when no sentence was retrieved."""
    if not sentences:
        return None
    found: Extracted | None = None
    if info.focus and info.focus_word in TITLE_NOUNS:
        found = _title_answer(info, sentences, weights)
    if found is None and info.focus and (info.focus_word in ORG_NOUNS or not info.labels) \
            and info.wh in ("which", "what"):
        found = _focus_answer(info, sentences)
        if info.focus_word in ORG_NOUNS:
            # The organisation may be named without its kind ("the president of the KRG").
            named = _entity_answer(info, sentences, weights, frozenset({"ORG", "NORP", "GPE"}))
            if named is not None and (found is None or named.score > found.score):
                found = named
    if found is None and info.labels:
        pool = sentences
        if "PERSON" in info.labels:
            pool = sorted(_title_holders(info, sentences, weights) + sentences, key=lambda x: -x.score)
        found = _entity_answer(info, pool, weights, info.labels)
        if found is None and info.labels in (MONEY_ONLY, PERCENT_ONLY):
            found = _entity_answer(info, pool, weights, NUMBER)  # written without its unit
        if info.labels == PLACE:
            phrase = _place_answer(info, sentences)
            if phrase is not None and (found is None or phrase.score >= found.score):
                found = phrase
        if found is None and info.labels == PLACE:
            found = _entity_answer(info, sentences, weights, frozenset({"ORG", "PERSON"}))
        if found is not None:
            return found
        # A typed question with no entity of its type nearby: weakly supported.
        best = sentences[0]
        return Extracted(best, best.span.start, best.span.end, best.text, best.score * 0.5)
    if found is None and info.focus and not info.labels and info.wh in ("which", "what"):
        # "Which airline…", "which film…": a name of any kind, nearest the question's words.
        found = _entity_answer(info, sentences, weights, NAMES)
    if found is None and info.wh == "why":
        found = _why_answer(info, sentences)
    if found is None:
        best = sentences[0]
        found = Extracted(best, best.span.start, best.span.end, best.text, best.score)
    return found
