"""Entity answers: the person, organisation, place, date or figure of the question's type in a
supported sentence, nearest the question's words, with lists and titles kept whole."""
from __future__ import annotations

import re

from qa.ask.extractive.scoring import UNDATED_WEIGHT, coverage, mentions_question, proximity
from qa.reading import Extracted, Sentence
from qa.ask.extractive.spans import (FIGURES, LOCATIVE, TITLE_WORDS, joins, one_per_article, sentence_at,
                                     title_start, with_currency)
from qa.ask.question import DURATION, PLACE, QuestionInfo
from qa.text.dates import names_a_time
from qa.text.tokens import stem, stems_match, tokens
from qa.types import Span

TITLE_MATCH_BONUS = 1.25  # "Who is Iraq's prime minister?": the person written after that title


def entity_answer(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float],
                   labels: frozenset[str]) -> Extracted | None:
    best: Extracted | None = None
    wanted_title = asked_title(info) if "PERSON" in labels else set()
    for sent in sentences[:12]:
        full = sent.text
        pool = entity_pool(sent, labels)
        if "PERSON" in labels:
            # Who-questions want the person, not the organisation in their title.
            mods = modifiers(sent)
            pool = [e for e in pool if e.label == "PERSON" or not any(a <= e.start < b or a < e.end <= b for a, b in mods)]
        for ent in pool:
            ent_text = full[ent.start - sent.span.start: ent.end - sent.span.start]
            if mentions_question(ent_text, info):
                continue
            if info.time and ent.label == "DATE" and info.time.phrase and ent_text.lower() in info.time.phrase.lower():
                continue
            if not time_fits(info, ent.label, ent_text):
                continue  # '47' (an age), 'three years' (a span): not when; 'January 3' not how long
            if ent.label == "NORP" and is_modifier(sent.article_text, ent.end):
                continue  # 'Iraqi officials': a demonym describing someone is not who they are
            prox = proximity(sent, ent.start, ent.end, weights)
            score = sent.score * (0.55 + 0.45 * prox)
            if info.wh in ("who", "whom") and ent.label != "PERSON":
                score *= 0.85  # "who" asks for a person first, an organisation second
            if wanted_title and ent.label == "PERSON" and holds_title(sent, ent, info, wanted_title):
                score = sent.score * TITLE_MATCH_BONUS
            start, end = ent.start, ent.end
            if ent.label in FIGURES:
                start, end, _ = with_currency(sent.article_text, start, end)
            if info.is_list:
                names = [e for e in pool if not mentions_question(
                    full[e.start - sent.span.start: e.end - sent.span.start], info)]
                start, end = extend_list(sent, ent, names, sent.article_text)
                items = sum(1 for e in names if start <= e.start and e.end <= end)
                score *= 1 + 0.1 * min(items - 1, 4)  # a list question is answered by the list
            if best is None or score > best.score:
                best = Extracted(sent, start, end, sent.article_text[start:end], score)
    return best


_CLOCK = re.compile(r"\d\s*(?:[ap]\.?m\b\.?|:\d\d)|\b(?:noon|midnight)\b", re.I)


def time_fits(info: QuestionInfo, label: str, text: str) -> bool:
    """A date or time answers "when" where it says when ("Thursday", "2020"), and a question
    that asks how long ("how long", "how many days", "how long ago") where it is an amount of
    time ("five days", "three years ago"; not "January 3", nor "8 a.m."); other labels, and
    other questions, are not judged here."""
    if label not in ("DATE", "TIME"):
        return True
    if info.wh == "when":
        return label == "TIME" or names_a_time(text)
    if info.labels == DURATION and info.wh != "how far":
        return not names_a_time(without_placing_word(text)) and not _CLOCK.search(text)
    return True


# A word that places an amount of time before or after something: "six days later", "a week on".
_PLACING = re.compile(r"\s+(?:later|earlier|ago|afterwards?|after|before|on)(?:\s+on)?[\s.,;:]*$", re.I)
_TIME_AMOUNT = re.compile(r"(?:^|\s)(?:\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                          r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|several|few|couple of|dozen)"
                          r"(?:\s+and\s+a\s+half)?[\s-]+(?:years?|months?|weeks?|fortnights?|days?|nights?|hours?|"
                          r"minutes?|seconds?|decades?|centur(?:y|ies))$", re.I)


def placed_amount(text: str) -> int | None:
    """Where an amount of time ends in a phrase that places it ("six days later" → 9), or None
    where the phrase is not a counted amount of time with such a word ("the day before")."""
    m = _PLACING.search(text)
    return m.start() if m and _TIME_AMOUNT.search(text[:m.start()]) else None


def without_placing_word(text: str) -> str:
    end = placed_amount(text)
    return text if end is None else text[:end]


def is_modifier(text: str, end: int) -> bool:
    """An adjective before its noun ('Iraqi officials', 'Iranian President'): a word follows
    without a break, where a noun ('the Kurds.', 'Kurds and Arabs') would end its phrase."""
    nxt = re.match(r"[ \u00a0]+([A-Za-z][\w'’-]*)", text[end: end + 40])
    return bool(nxt) and nxt[1].lower() not in ("and", "or", "but", "who", "which", "that", "in", "on", "at",
                                                "to", "from", "for", "with", "of", "as", "by", "were", "was",
                                                "are", "is", "had", "have", "said", "say")


def entity_pool(sent: Sentence, labels: frozenset[str]) -> list[Span]:
    """The sentence's entities of the wanted kinds. For places also names after a locative
    preposition, and the names listed with them ("in Erbil and Sulaymaniyah")."""
    pool: list[Span] = []
    for e in sent.entities:
        if e.label in labels or (labels == PLACE and (
                after_locative(sent, e) or (pool and joins(sent.article_text[pool[-1].end: e.start])
                                             and e.label not in ("DATE", "TIME", "CARDINAL")))):
            pool.append(e)
    return pool


def after_locative(sentence: Sentence, ent: Span) -> bool:
    """A name after 'in', 'at', 'near' is a place, whatever the tagger called it ("in Erbil")."""
    if ent.label in ("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"):
        return False
    before = sentence.article_text[sentence.span.start: ent.start]
    m = re.search(r"([A-Za-z]+)\s+(?:the\s+)?$", before)
    return bool(m and m[1].lower() in LOCATIVE)


def extend_list(sentence: Sentence, ent: Span, pool: list[Span], text: str) -> tuple[int, int]:
    """A coordinated run of same-kind entities around `ent` ('A, B and C'), with titles."""
    idx = pool.index(ent)
    start, end = ent.start, ent.end
    i = idx
    while i > 0 and joins(text[pool[i - 1].end: pool[i].start]):
        i -= 1
    j = idx
    while j + 1 < len(pool) and joins(text[pool[j].end: pool[j + 1].start]):
        j += 1
    start, end = pool[i].start, pool[j].end
    if i != j:
        gaps = " ".join(text[pool[k].end: pool[k + 1].start] for k in range(i, j))
        if any(w.lower() in TITLE_WORDS for w in re.findall(r"[\w.]+", gaps)):
            start = title_start(text, sentence.span.start, start)
    return start, end


def modifiers(sentence: Sentence) -> list[tuple[int, int]]:
    """Title runs written before people ("Iran's Supreme National Security Council Secretary",
    "Iranian President"): an entity inside one describes that person; it isn't another answer."""
    out = []
    for ent in sentence.entities:
        if ent.label == "PERSON":
            start = title_start(sentence.article_text, sentence.span.start, ent.start)
            if start < ent.start:
                out.append((start, ent.start))
    return out


def asked_title(info: QuestionInfo) -> set[str]:
    """The title the person asked for must be written with: the role a who-question names, with
    the title words that make it up ("Who was Iran's prime minister when …": prime minister, not
    another title the question mentions, nor "current" or "new"; "Who is the CEO …": CEO), else,
    where it names no role, title_words()."""
    if info.role and info.doc is not None:
        for tok in info.doc:
            if stem(tok.text) == info.role:
                return {info.role} | {stem(c.text) for c in _qualifiers(tok, ("amod", "compound"))
                                      if c.lower_ in TITLE_WORDS}
    return title_words(info)


def title_words(info: QuestionInfo) -> set[str]:
    """What the person asked for must be written with: the question's title words ("prime
    minister"), or what qualifies its person noun ("Iraqi" in "which Iraqi officials")."""
    wanted = {t.stem for t in info.terms if t.text.lower() in TITLE_WORDS}
    if info.doc is not None and info.focus_word:
        for tok in info.doc:
            if tok.lower_ == info.focus_word:
                wanted |= {stem(c.text) for c in _qualifiers(tok, ("amod", "compound", "poss"))
                           if c.text[:1].isupper()}
                break
    return wanted


def _qualifiers(tok, deps: tuple[str, ...]) -> list:
    """The words the tagger says qualify a noun (its children of these dependencies)."""
    return [c for c in tok.children if c.dep_ in deps]


def holds_title(sentence: Sentence, ent: Span, info: QuestionInfo, wanted: set[str]) -> bool:
    """Is this person written with the title the question asks about, and not with another
    country's ("Iraqi Prime Minister X" for "Iraq's prime minister", not "Iranian ...")?"""
    text = sentence.article_text
    start = title_start(text, sentence.span.start, ent.start)
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


def title_holders(info: QuestionInfo, sentences: list[Sentence], weights: dict[str, float]) -> list[Sentence]:
    """'Who is Iraq's prime minister?': the retrieved articles' sentences that write the title
    before a name ("Iraqi Prime Minister Mustafa al-Kadhimi"), wherever in the article they are.
    Retrieval finds passages about the title; the holder's name may be elsewhere."""
    asked = asked_title(info)
    wanted = [t.text for t in info.terms if t.text.lower() in TITLE_WORDS and t.stem in asked]
    if not wanted:
        return []
    title = re.compile(r"(?i:" + r"\s+".join(re.escape(w) for w in wanted) + r")\s+(?=[A-Z])")
    out: list[Sentence] = []
    for sent in one_per_article(sentences):
        for m in list(title.finditer(sent.article_text))[:3]:
            found = sentence_at(sent, m.start(), 0.0)
            if found is None:
                continue
            s_cov, _ = coverage(tokens(found.text, found.span.start), weights)
            found.score = s_cov * (UNDATED_WEIGHT if sent.passage.tier == 1 else 1.0)
            out.append(found)
    return out
