"""A relative date in a 'when' answer ('Thursday', 'last week') made a calendar date through
its article's publication day, as the article's own readers would read it."""
from __future__ import annotations

import re
from datetime import date

from qa.reading import Extracted
from qa.ask.question import QuestionInfo
from qa.text.dates import parse_absolute, stated_time

# The sentence speaks of what is to come: its weekday is the next one, not the last.
# Read in the few words just before the date, its own clause ("will take office on Thursday"),
# not anywhere in the sentence ("X, who will retire, said on Thursday").
_AHEAD = re.compile(r"\b(?:will|shall|(?:is|are)\s+(?:due|scheduled|expected|set)\s+to|plans?\s+to|(?:is|are)\s+to)\b"
                    r"[^,;]*$", re.I)


def calendar_day(info: QuestionInfo, found: Extracted) -> date | None:
    """The one day a relative 'when' answer names, where its article's day is known; else None
    (an absolute date needs no help, and a week or a month is not one day)."""
    pub = found.sentence.passage.article.published
    if info.wh != "when" or pub is None or pub.start != pub.end or parse_absolute(found.text):
        return None
    before = found.sentence.article_text[found.sentence.span.start: found.start]
    clause = " ".join(before.split()[-6:])
    named = stated_time(found.text, pub.start, ahead=bool(_AHEAD.search(clause)))
    return named.start if named and named.start == named.end else None


def with_calendar_day(info: QuestionInfo, found: Extracted) -> str:
    """The answer as shown: the span, and the calendar day it names in brackets."""
    day = calendar_day(info, found)
    return f"{found.text} ({day.day} {day:%B %Y})" if day else found.text
