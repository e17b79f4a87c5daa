"""Phrase answers: the reason for why (after the surest causal cue), the locative phrase for
where, the noun phrase headed by the question's focus, and the title written with a name."""
from __future__ import annotations

import re

from qa.ask.extractive.scoring import Weights, coverage, mentions_question
from qa.reading import Extracted, Sentence
from qa.ask.extractive.spans import LOCATIVE, TITLE_WORDS, balanced, one_per_article, sentence_at, title_start
from qa.ask.question import QuestionInfo
from qa.text import nlp
from qa.text.tokens import STOP_WORDS, WORD, stem, stems_match, tokens
from qa.types import Span

_CONSEQUENCE = re.compile(r"^\W*(?:(?:that|this)(?:['’]s|\s+is|\s+was)\s+why|therefore|hence|"
                          r"for (?:this|that) reason|consequently|as a result)\b", re.I)


_WHY_CUES = re.compile(
    r"\b(because(?: of)?|due to|owing to|as a result of|in response to|in retaliation for|"
    r"in order to|so that|since|after|for the sake of)\b", re.I)


_CUE_RANK = {"because": 0, "because of": 0, "due to": 1, "owing to": 1, "as a result of": 1,
             "in response to": 2, "in retaliation for": 2, "in order to": 3, "so that": 3,
             "for the sake of": 3, "since": 4, "after": 5}


_CLAUSE_END = re.compile(r"\s*(?:[;:]|,\s+(?:and|but|while|which|who|where|adding|noting|stressing|"
                         r"saying|as|the|a|an|he|she|it|they|this|that)\b|,\s+[A-Z]|\.\s*$|\.[\"”’]?$)")


def why_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
    """The reason: the phrase a causal cue opens ("because King Salman was hospitalized"), or,
    when the sentence says "That's why ...", the sentence before it."""
    for sent in sentences[:3]:
        if _CONSEQUENCE.match(sent.text):
            before = _previous(sent, sentences)
            if before is not None:
                # Quote both sentences: the cause, and the one that ties it to the question.
                both = Sentence(before.passage, Span(before.span.start, sent.span.end),
                                sent.article_text[before.span.start: sent.span.end], sent.score,
                                before.entities + sent.entities)
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


def first_mentions(info: QuestionInfo, sentences: list[Sentence]) -> list[Sentence]:
    """The sentence where each retrieved article first names the question's person: news
    style gives a person's full name and title there ("Iran's Vice President ..., Mohammad
    Javad Zarif, visited Iraq"), and only the surname after."""
    out: list[Sentence] = []
    for sent in one_per_article(sentences):
        text = sent.article_text
        for person in info.people:
            surname = re.findall(r"[\w'’-]+", person)[-1]
            m = re.search(rf"\b{re.escape(surname)}\b", text)
            if m:
                found = sentence_at(sent, m.start(), sent.score)
                if found is not None:
                    out.append(found)
    return out


def title_answer(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float]) -> Extracted | None:
    """'What was X's position?': the title written beside X's name. Its support is how much of
    the rest of the question the sentence holds: the title itself stands for 'position'."""
    names = [n for n in info.named if n]
    rest = Weights({k: v for k, v in weights.items() if k != info.focus} or weights, getattr(weights, "forms", {}))
    for sent in first_mentions(info, sentences[:8]) + sentences[:8]:
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
            start = title_start(sent.article_text, floor, end) if appos else title_start(sent.article_text, floor, ent.start)
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


def writes_any(sent: Sentence, stems: set[str]) -> bool:
    """Whether a word of the sentence has one of the stems (or is its demonym)."""
    return any(stems_match(w, e) for w, _, _ in tokens(sent.text) for e in stems)


def place_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
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
        if not writes_any(sent, events):
            continue  # no anchor to parse for
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
                phrase = balanced(phrase.rstrip(" .;:"))
                if prep.lower_ in ("in", "at") or info.wh != "where":
                    a += len(prep.text_with_ws)
                    phrase = phrase[len(prep.text_with_ws):]
                if not phrase or mentions_question(phrase, info, phrase=True):
                    continue
                options.append((abs(prep.i - anchor.i) + (0 if prep.i > anchor.i else 5), a, phrase))
        if options:
            _, a, phrase = min(options)
            start = sent.span.start + a
            return Extracted(sent, start, start + len(phrase), phrase, sent.score)
    return None


def focus_answer(info: QuestionInfo, sentences: list[Sentence]) -> Extracted | None:
    """'Which conference…': the noun phrase in the sentence headed by the focus noun."""
    parser = nlp.full()
    for sent in sentences[:3]:
        if info.focus and WORD.fullmatch(info.focus) and not writes_any(sent, {info.focus}):
            # The parse is what costs; a sentence without the focus noun has no phrase. A focus
            # the word pattern splits ("g-20", "covid-19") is left to spaCy's tokens.
            continue
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
            phrase = balanced(phrase.strip(" \"“”'‘’"))
            if not phrase or stem(phrase) == info.focus:
                continue
            if mentions_question(phrase, info, phrase=True) and tok.pos_ != "VERB":
                continue
            if not any(t.pos_ in ("PROPN", "NUM") or t.is_quote for t in toks if t.idx < a + len(phrase)):
                continue  # "an old-school video game" describes the answer; it doesn't name it
            a = sent.text.find(phrase, a)
            start = sent.span.start + a
            return Extracted(sent, start, start + len(phrase), phrase, sent.score)
    return None
