"""Follow-up questions → standalone questions, from the earlier turns, without an LLM.

A pronoun stands for the most recently introduced entity of its kind: the previous
answer before the previous question's own names. An elliptical follow-up ("And in 2020?",
"What about the president?") is the previous question with the new part put in.
"""
from __future__ import annotations

import re
from datetime import date

from qa.text import nlp
from qa.text.dates import question_time
from qa.types import Turn
from qa.ask.extractive import ABSTENTION
from qa.ask.question import analyse
from qa.text.tokens import QUESTION_WORDS

_MARKERS = re.compile(r"\s*\[\d+\]")
_ELLIPSIS = re.compile(r"^\s*(?:and|but|also)?\s*(?:what|how)\s+about\s+(.+?)\s*\??\s*$"
                       r"|^\s*(?:and|but)\s+(.+?)\s*\??\s*$", re.I)
_WH = re.compile(r"\b(?:" + "|".join(sorted(QUESTION_WORDS)) + r")\b", re.I)
PERSON_PRONOUNS = {"he", "him", "his", "she", "her", "hers", "himself", "herself"}
THING_PRONOUNS = {"it", "its", "itself"}
GROUP_PRONOUNS = {"they", "them", "their", "theirs"}
PLACE_PRONOUNS = {"there"}
KINDS = {
    "person": {"PERSON"},
    "thing": {"ORG", "GPE", "NORP", "FAC", "LOC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"},
    "group": {"ORG", "NORP", "GPE", "PERSON"},
    "place": {"GPE", "LOC", "FAC"},
}


def _kind(word: str) -> str | None:
    w = word.lower()
    if w in PERSON_PRONOUNS:
        return "person"
    if w in THING_PRONOUNS:
        return "thing"
    if w in GROUP_PRONOUNS:
        return "group"
    if w in PLACE_PRONOUNS:
        return "place"
    return None


def _mentions(question: str, answer: str, reference: date) -> list[tuple[str, str]]:
    """(text, label) of entities, most recent first: the answer's, then the question's."""
    found: list[tuple[str, str]] = []
    answer = _MARKERS.sub("", answer).strip().rstrip(".")
    if answer and answer != ABSTENTION.rstrip("."):
        ents = [(e.text, e.label_) for e in nlp.full()(answer).ents]
        if len(ents) <= 1 and len(answer.split()) <= 8 and not re.search(r"[.;:!?]\s", answer):
            # A bare short answer ("Muhammad Baqer Qalibaf") is one name, even where the
            # tagger sees only part of it; its kind is the tagger's, or what the question asked.
            info = analyse(question, reference)
            label = ents[0][1] if ents else sorted(info.labels)[0] if len(info.labels) == 1 else (
                "PERSON" if "PERSON" in info.labels else "ORG")
            ents = [(answer, label)]
        found += reversed(ents)
    q = nlp.full()(question)
    subjects = [(e.text, e.label_) for e in q.ents if e.label_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL")]
    found += subjects
    return found


def _replace_time(previous: str, new_time: str, reference: date) -> str:
    old = question_time(previous, reference)
    if old and old.phrase:
        return previous.replace(old.phrase, new_time.strip(), 1)
    return previous.rstrip(" ?") + f" {new_time.strip()}?"


def _replace_part(previous: str, part: str) -> str:
    """Put a new noun phrase where the previous question had one of its kind."""
    new = nlp.full()(part)
    if not len(new):  # "What about ?": nothing to put in
        return previous
    prev = nlp.full()(previous)
    new_labels = {e.label_ for e in new.ents}
    for ent in prev.ents:
        if ent.label_ in new_labels:
            return previous[: ent.start_char] + part + previous[ent.end_char:]
    new_root = next((c.root.text.lower() for c in new.noun_chunks), part.lower())
    chunks = [c for c in prev.noun_chunks if not _WH.fullmatch(c.text)]
    for c in chunks:
        if c.root.text.lower() == new_root or (c.root.pos_ == new[-1].pos_ == "NOUN" and c.root.dep_ in ("attr", "nsubj", "dobj")):
            return previous[: c.start_char] + part + previous[c.end_char:]
    if chunks:
        c = chunks[-1]
        return previous[: c.start_char] + part + previous[c.end_char:]
    return previous.rstrip(" ?") + f" {part}?"


def standalone(question: str, history: list[Turn], reference: date) -> str:
    """The question rewritten to stand alone; unchanged when it already does."""
    users = [t for t in history if t.role == "user"]
    if not users:
        return question.strip()
    # Earlier user turns may be follow-ups too: rewrite them in order.
    prev_q = ""
    prev_a = ""
    turns = list(history)
    rewritten: list[str] = []
    for i, turn in enumerate(turns):
        if turn.role != "user":
            continue
        earlier = turns[:i]
        rewritten.append(_rewrite(turn.content, rewritten[-1] if rewritten else "",
                                  _answer_after(earlier), reference) if rewritten else turn.content.strip())
    prev_q = rewritten[-1]
    prev_a = _answer_after(turns)
    return _rewrite(question.strip(), prev_q, prev_a, reference)


def _answer_after(turns: list[Turn]) -> str:
    """The last assistant message, if it came after the last user message."""
    for t in reversed(turns):
        if t.role == "assistant":
            return t.content
        if t.role == "user":
            return ""
    return ""


def _rewrite(question: str, prev_q: str, prev_a: str, reference: date) -> str:
    if not prev_q:
        return question
    m = _ELLIPSIS.match(question)
    short_fragment = not _WH.search(question) and len(question.split()) <= 6
    if m or short_fragment:
        part = (m[1] or m[2]) if m else question.strip(" ?")
        part = part.strip(" ?")
        if question_time(part, reference):
            return _replace_time(prev_q, part, reference)
        return _replace_part(prev_q, part)
    words = list(re.finditer(r"[A-Za-z]+", question))
    pronouns = [w for w in words if _kind(w[0])]
    if pronouns:
        bound = _bound_in_question(question)
        pronouns = [w for w in pronouns if w.start() not in bound]
    if not pronouns:
        return question
    mentions = _mentions(prev_q, prev_a, reference)
    out = question
    for w in reversed(pronouns):  # right to left keeps earlier offsets valid
        kind = _kind(w[0])
        referent = next((t for t, lab in mentions if lab in KINDS[kind]), None)
        if referent is None:
            continue
        low = w[0].lower()
        if low in ("his", "its", "their", "hers", "theirs") or (low == "her" and _possessive_her(question, w.end())):
            repl = referent + "’s" if "’" in referent else referent + "'s"
        elif low == "there":
            repl = "in " + referent
        else:
            repl = referent
        out = out[: w.start()] + repl + out[w.end():]
    if out != question and not question_time(out, reference):
        old = question_time(prev_q, reference)
        if old and old.phrase:
            out = out.rstrip(" ?") + f" {old.phrase}?"
    return out


def _bound_in_question(question: str) -> set[int]:
    """Offsets of the pronouns whose referent the question itself names before them: "the
    museum exhibit ... on its first day", "Did Solberg say she ...". Those stay as written;
    the others point back into the conversation. A person pronoun binds to a person named
    before it; "its"/"their" (possessive or reflexive) to any noun before it; an object "it"
    or "them" stays free ("When did the president visit it?" asks about something else)."""
    doc = nlp.full()(question)
    bound: set[int] = set()
    for tok in doc:
        kind = _kind(tok.text)
        before = doc[: tok.i]
        if kind == "person" and any(e.label_ == "PERSON" for e in before.ents):
            bound.add(tok.idx)
        elif tok.lower_ in ("its", "itself", "their", "theirs", "themselves") and any(
                t.pos_ in ("NOUN", "PROPN") and t.ent_type_ != "PERSON" for t in before):
            bound.add(tok.idx)
    return bound


def _possessive_her(question: str, end: int) -> bool:
    """'her' before a noun is possessive ('her visit'); before a verb or at the end it isn't."""
    nxt = re.match(r"\s+([A-Za-z]+)", question[end:])
    if not nxt:
        return False
    return nxt[1].lower() not in {"to", "in", "on", "at", "for", "with", "about", "and", "or", "by", "from"}
