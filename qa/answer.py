"""The extractive answer: a short span of one retrieved sentence, with its citation.

No language model: the question's type decides what span to cut (a person for who, a date
for when, a number for how many, the phrase after 'because' for why, the noun phrase
that names the question's focus for which/what), and the support score (how much of the
question, weighted by rarity, the sentence and its passage contain) decides whether to
answer at all. Every answer string is a slice of the article text it cites.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa import nlp
from qa.dates import DateRange, parse_absolute
from qa.models import Span
from qa.question import (
    ORG_NOUNS,
    PERSON,
    PLACE,
    TITLE_NOUNS,
    QuestionInfo,
    stem,
    stems_match,
    tokens,
)
from qa.retrieval import RetrievedPassage

UNDATED_WEIGHT = 0.9  # an article of unknown date supports a dated question a little less
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


def _weights(info: QuestionInfo, idf: dict[str, float]) -> dict[str, float]:
    return {t.stem: idf.get(t.text.lower(), 1.0) * (1.5 if t.proper else 1.0) for t in info.terms}


def coverage(words: list[tuple[str, int, int]], weights: dict[str, float]) -> tuple[float, list[tuple[str, int, int]]]:
    """The share of the question's weight that a text's words contain, and which words matched."""
    total = sum(weights.values()) or 1.0
    found: set[str] = set()
    hits: list[tuple[str, int, int]] = []
    for w in words:
        for q in weights:
            if stems_match(w[0], q):
                found.add(q)
                hits.append((q, w[1], w[2]))
    return sum(weights[q] for q in found) / total, hits


def candidate_sentences(info: QuestionInfo, passages: list[RetrievedPassage], article_text: dict[str, str],
                        idf: dict[str, float]) -> list[Sentence]:
    weights = _weights(info, idf)
    out: list[Sentence] = []
    for rank, p in enumerate(passages):
        text = article_text[p.doc_id]
        p_cov, _ = coverage(tokens(p.text, p.start), weights)
        entities = [Span(s, e, lab) for s, e, lab in p.metadata.get("entities", [])]
        for s, e in p.metadata.get("sentences", []):
            sent_ents = [x for x in entities if s <= x.start and x.end <= e]
            if p.tier == 2 and not _states_time(text, sent_ents, info.time):
                continue  # a later article answers a dated question only where it states the date
            s_cov, _ = coverage(tokens(text[s:e], s), weights)
            score = 0.7 * s_cov + 0.3 * p_cov + 0.02 / (rank + 1)
            if p.tier == 1:
                score *= UNDATED_WEIGHT
            out.append(Sentence(p, Span(s, e), text[s:e], score, sent_ents, text))
    out.sort(key=lambda x: -x.score)
    return out


def _states_time(text: str, ents: list[Span], time: DateRange | None) -> bool:
    if time is None:
        return True
    for ent in ents:
        if ent.label != "DATE":
            continue
        parsed = parse_absolute(text[ent.start: ent.end])
        if parsed and time.contains(parsed[0]):
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


def _mentions_question(text: str, info: QuestionInfo) -> bool:
    """Does a candidate repeat what the question already names? Then it isn't the answer."""
    words = [w for w, _, _ in tokens(text) if len(w) >= 3 and w not in ("al",)]
    if not words:
        return True
    q = [t.stem for t in info.terms]
    return all(any(stems_match(w, s) for s in q) for w in words) or any(
        text.lower() in n.lower() or n.lower() in text.lower() for n in info.named if len(n) > 2
    )


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


def _entity_answer(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float],
                   labels: frozenset[str]) -> Extracted | None:
    best: Extracted | None = None
    for sent in sentences[:12]:
        full = sent.text
        pool = [e for e in sent.entities if e.label in labels]
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
            if best is None or score > best.score:
                start, end = ent.start, ent.end
                if info.is_list:
                    names = [e for e in pool if not _mentions_question(
                        full[e.start - sent.span.start: e.end - sent.span.start], info)]
                    start, end = _extend_list(sent, ent, names, sent.article_text)
                best = Extracted(sent, start, end, sent.article_text[start:end], score)
    return best


def _why_answer(sentences: list[Sentence]) -> Extracted | None:
    for sent in sentences[:3]:
        m = _WHY_CUES.search(sent.text)
        if not m:
            continue
        rest = sent.text[m.start():]
        end = _CLAUSE_END.search(rest, m.end() - m.start() + 3)
        phrase = rest[: end.start() if end else len(rest)].rstrip(" ,;:.")
        start = sent.span.start + m.start()
        return Extracted(sent, start, start + len(phrase), phrase, sent.score)
    return None


def _title_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
    """'What was X's position?': the title written beside X's name."""
    names = [n for n in info.named if n]
    for sent in sentences[:8]:
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
            phrase = phrase.strip(" \"“”'‘’")
            if not phrase or stem(phrase) == info.focus:
                continue
            if _mentions_question(phrase, info) and tok.pos_ != "VERB":
                continue
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
        found = _title_answer(info, sentences)
    if found is None and info.focus and (info.focus_word in ORG_NOUNS or not info.labels) \
            and info.wh in ("which", "what"):
        found = _focus_answer(info, sentences)
        if found is None and info.focus_word in ORG_NOUNS:
            found = _entity_answer(info, sentences, weights, frozenset({"ORG", "NORP", "GPE"}))
    if found is None and info.labels:
        found = _entity_answer(info, sentences, weights, info.labels)
        if found is None and info.labels == PLACE:
            found = _entity_answer(info, sentences, weights, frozenset({"ORG", "PERSON"}))
        if found is not None:
            return found
        # A typed question with no entity of its type nearby: weakly supported.
        best = sentences[0]
        return Extracted(best, best.span.start, best.span.end, best.text, best.score * 0.5)
    if found is None and info.wh == "why":
        found = _why_answer(sentences)
    if found is None:
        best = sentences[0]
        found = Extracted(best, best.span.start, best.span.end, best.text, best.score)
    return found
