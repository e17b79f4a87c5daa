"""What an article is: its title, its source and its date, from its metadata or its own text.

Nothing here looks outside the one article: no other articles, no outside knowledge.
"""
from __future__ import annotations

import re
from datetime import date

import dateparser
from spacy.tokens import Doc

from qa.ingest.readers import ArticleError, Draft
from qa.text.dates import parse_absolute, published_date
from qa.types import PublishedDate

_DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4}-\d\d-\d\d)\b")
_CREDIT = [
    re.compile(r"All (?:Content|content|rights) (?:by|of|from) ([A-Z][\w&.' -]{1,60}?)\s+(?:is|are)\s+licen[cs]ed"),
    re.compile(r"(?:©|Copyright(?: ©)?)\s*(?:\d{4}\s+)?([A-Z][\w&.' -]{1,60}?)(?:\.|,|\s+All rights|\s*$)", re.M),
]
# "TEHRAN (Tasnim) –", "LONDON (Reuters) -": a city in capitals, the agency in brackets, a dash.
_DATELINE_AGENCY = re.compile(r"(?:^|\n)\s*(?:[A-Z][A-Z.'-]+(?:[ ,]+[A-Z][A-Za-z.'-]+)*\s*)?\(([A-Z][A-Za-z .&'-]{1,40})\)\s*[-–—]")
# "BAGHDAD, Feb. 7, 2025 —": a city in capitals, a full date, a dash or bracket.
_DATELINE_DATE = re.compile(r"(?:^|\n)\s*[A-Z][A-Z .'-]+,\s+([A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4})\s*[-–—(]")
_FUTURE_CUE = re.compile(r"\b(?:by|until|till|through|before|in time for|ahead of)\s*$", re.I)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
# A line that states the date and nothing else: "date 2025-03-14", "Published: March 14, 2025",
# "Friday, 14 March 2025 10:32 GMT", "Updated on Mar. 14, 2025 at 9:05 a.m.".
_DATE_LINE = re.compile(
    r"[ \t]*(?:(?:date|dated|published|posted|updated|last updated)(?:[ \t]+on)?[ \t]*[:\-–—]?[ \t]*)?"
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?[ \t]+)?"
    rf"(?P<date>\d{{4}}-\d\d-\d\d|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})"
    r"(?:[ \t,|·–-]+(?:at[ \t]+)?\d{1,2}[:.]\d\d(?::\d\d)?(?:[ \t]*[AaPp]\.?[Mm]\.?)?(?:[ \t]*\(?[A-Z]{2,5}\)?)?)?"
    r"[ \t]*", re.I)
# "By Jane Doe", "By Jane Doe and John Roe, Reuters": a byline, under a headline.
_BYLINE = re.compile(r"By\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}(?:\s*(?:,|and|&)\s*[^\n]{0,80})?", re.U)
_HEAD_LINES = 6  # a date line is looked for among the lines that head an article, no further
_DATELINE_PREFIX = re.compile(r"\A\s*(?:date\s+\d{4}-\d\d-\d\d\s+)?(?:[A-Z][A-Z .'-]{2,30}(?:\s*\([^)]{1,40}\))?\s*[-–—:]\s*)?")


def headline(text: str, skip: list[tuple[int, int]]) -> tuple[str, int, int] | None:
    """The first line when it reads as a headline: short, alone on its line, no full stop."""
    pos = max((e for s, e in skip if s == 0), default=0)
    m = re.compile(r"\s*([^\n]+)\n").match(text, pos)
    if not m:
        return None
    line = m[1].strip()
    words = line.split()
    if not (2 <= len(words) <= 25 and len(line) <= 200) or line[-1] in ".!?\"”’:;,":
        return None
    if _DATE_HEADER.match(line):
        return None
    if sum(w[0].isupper() for w in words if w[0].isalpha()) < 2:
        # A headline in sentence case ("Port strike ends after nine days") shows itself by
        # what follows it: a byline or a date line.
        following = re.compile(r"[ \t]*\n\s*([^\n]+)").match(text, m.end(1))
        if not following or not (_BYLINE.fullmatch(following[1].strip()) or _DATE_LINE.fullmatch(following[1])):
            return None
    return line, m.start(1), m.start(1) + len(m[1].rstrip())


def made_title(first_sentence: str, limit: int = 110) -> str:
    """A title made from the first sentence, without its dateline, cut at a word boundary."""
    s = _DATELINE_PREFIX.sub("", first_sentence, count=1).strip()
    s = re.sub(r"\s+", " ", s)
    if len(s) <= limit:
        return s
    cut = s[:limit].rsplit(" ", 1)[0].rstrip(",;:–- ")
    return cut + "…"


def source_of(text: str, story_start: int) -> str | None:
    """The publisher the text credits: a licence/credit line, or an agency dateline.

    An agency in a photo caption or inside a quote is not the publisher, so only a credit
    line or a dateline at the start of the story counts.
    """
    found = source_with_evidence(text, story_start)
    return found[0] if found else None


def source_with_evidence(text: str, story_start: int) -> tuple[str, str] | None:
    """source_of's answer, with the text it was read from ("credit line: …", "dateline: …")."""
    for rx in _CREDIT:
        m = rx.search(text)
        if m:
            return m[1].strip(), f"credit line: {m[0].strip()}"
    m = _DATELINE_AGENCY.match(text, story_start) or _DATELINE_AGENCY.search(text[: story_start + 300], story_start)
    if m and m.start(1) - story_start < 120:
        return m[1].strip(), f"dateline: {m[0].strip()}"
    return None


def _is_story_line(line: str) -> bool:
    """A line of running text (the story has started): long, or a sentence of many words."""
    words = line.split()
    return len(line) > 200 or len(words) > 25 or (len(words) > 12 and line.rstrip()[-1:] in ".!?\"”’")


def date_line(text: str, skip: list[tuple[int, int]] = ()) -> tuple[PublishedDate, int, int] | None:
    """The date stated on a line of its own among the lines that head the article (after a
    headline, a byline or a standfirst, or first), with the line's offsets. The story's own
    lines never count: a date there is news, not the publication date."""
    pos = max((e for s, e in skip if s == 0), default=0)  # after a metadata header
    seen = 0
    for m in re.finditer(r"[^\n]+", text[pos:pos + 2000]):
        line = m[0]
        if not line.strip():
            continue
        found = _DATE_LINE.fullmatch(line)
        if found:
            parsed = parse_absolute(found["date"])
            if parsed:
                start = pos + m.start() + (len(line) - len(line.lstrip()))
                return published_date(parsed[0], parsed[1], False, line.strip()), start, pos + m.end()
        seen += 1
        if seen >= _HEAD_LINES or _is_story_line(line):
            return None
    return None


def stated_date(draft: Draft) -> PublishedDate | None:
    if draft.published:
        parsed = parse_absolute(draft.published)
        if parsed is None:
            point = dateparser.parse(draft.published, settings={"RETURN_AS_TIMEZONE_AWARE": False})
            if point is None:
                raise ArticleError(f"{draft.id}: can't read the published date {draft.published!r}")
            parsed = (point.date(), "day")
        return published_date(parsed[0], parsed[1], False, f"published: {draft.published}")
    m = _DATE_HEADER.match(draft.text)
    if m:
        return published_date(date.fromisoformat(m[1]), "day", False, m[0].strip())
    line = date_line(draft.text, draft.skip)
    if line:
        return line[0]
    m = _DATELINE_DATE.search(draft.text[:400])
    if m:
        parsed = parse_absolute(m[1])
        if parsed:
            return published_date(parsed[0], parsed[1], False, m[0].strip())
    return None


def inferred_date(doc: Doc, skip: list[tuple[int, int]], today: date) -> PublishedDate | None:
    """The year of the latest absolute date the article mentions, marked inferred.

    A date after a cue such as 'by' or 'until' is a target, not news, and is ignored;
    so is one after today.
    """
    best: tuple[date, str, str] | None = None
    text = doc.text  # rebuilt from the tokens on every access: once per doc
    for ent in doc.ents:
        if ent.label_ != "DATE" or any(s <= ent.start_char < e for s, e in skip):
            continue
        parsed = parse_absolute(ent.text)
        if parsed is None or parsed[0] > today:
            continue
        before = text[max(0, ent.start_char - 25): ent.start_char]
        if _FUTURE_CUE.search(before):
            continue
        if best is None or parsed[0] > best[0]:
            best = (parsed[0], ent.text, _sentence_of(ent.sent.text, ent.text))
    if best is None:
        return None
    return published_date(best[0], "year", True, f"latest date mentioned: {best[1]!r}, in “{best[2]}”")


def _sentence_of(sentence: str, phrase: str, limit: int = 220) -> str:
    """The sentence a date was read from, cut around the date to about `limit` characters, so
    the evidence says where it was read."""
    sentence = " ".join(sentence.split())
    if len(sentence) <= limit:
        return sentence
    at = max(0, sentence.find(phrase))
    lo = max(0, min(at - limit // 3, len(sentence) - limit))
    cut = sentence[lo:lo + limit]
    return ("…" if lo else "") + cut + ("…" if lo + limit < len(sentence) else "")
