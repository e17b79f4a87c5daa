"""Dates: parsing what articles state, and turning a question's time words into a range.

dateparser reads the date strings themselves. The ranges a phrase stands for ("in 2025"
is the whole year, "last month" a whole month) are hand-written below: dateparser
returns single points, not ranges.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dateparser

from qa.types import Precision, PublishedDate

_PARSER_SETTINGS = {
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "REQUIRE_PARTS": ["year"],
    "PARSERS": ["custom-formats", "absolute-time"],
}
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MONTH = re.compile(rf"\b({MONTHS})\.?\b", re.I)
_DAY = re.compile(r"(?<![\d,])\b([0-3]?\d)(st|nd|rd|th)?\b(?!\s*(?:%|per|million|billion))")


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    phrase: str = ""

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def overlaps(self, start: date, end: date) -> bool:
        return start <= self.end and end >= self.start


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def interval(year: int, month: int | None = None, day: int | None = None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        return date(year, month, 1), month_end(year, month)
    d = date(year, month, day)
    return d, d


def parse_absolute(text: str) -> tuple[date, Precision] | None:
    """An absolute date ('January 3, 2020', '2025-02-07', 'September 2024', '2015')."""
    text = text.strip()
    years = _YEAR.findall(text)
    if len(years) != 1:
        return None  # no year, or a span of years ("2019-2020"): not one date
    month = _MONTH.search(text)
    iso = re.fullmatch(r"(\d{4})-(\d\d)(?:-(\d\d))?", text)
    if iso:
        y, m, d = int(iso[1]), int(iso[2]), iso[3]
        try:
            return (date(y, m, int(d)), "day") if d else (date(y, m, 1), "month")
        except ValueError:
            return None
    if not month:
        if re.fullmatch(r"(?:(?:in|of|the year)\s+)?\d{4}", text, re.I):
            return date(int(years[0]), 1, 1), "year"
        return None
    without_year = _YEAR.sub(" ", text)
    has_day = bool(_DAY.search(_MONTH.sub(" ", without_year)))
    parsed = dateparser.parse(text, settings=_PARSER_SETTINGS)
    if parsed is None:
        return None
    d = parsed.date()
    return (d, "day") if has_day else (date(d.year, d.month, 1), "month")


def published_date(
    d: date, precision: Precision, inferred: bool, evidence: str | None
) -> PublishedDate:
    if precision == "day":
        start, end, value = d, d, d.isoformat()
    elif precision == "month":
        start, end, value = date(d.year, d.month, 1), month_end(d.year, d.month), f"{d:%Y-%m}"
    else:
        start, end, value = date(d.year, 1, 1), date(d.year, 12, 31), str(d.year)
    return PublishedDate(
        value=value, precision=precision, inferred=inferred, evidence=evidence, start=start, end=end
    )


# --- time in questions ------------------------------------------------------------
_RELATIVE = re.compile(
    r"\b(?P<rel>this|last|past|previous|next)\s+(?P<unit>year|month|week)\b"
    r"|\b(?P<day>yesterday|today)\b",
    re.I,
)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{MONTHS})\.?\s+(?:(?P<day>[0-3]?\d),?\s+)?(?P<year>(?:19|20)\d\d)\b", re.I)
_DAY_MONTH_YEAR = re.compile(rf"\b(?P<day>[0-3]?\d)\s+(?P<month>{MONTHS})\.?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_YEAR_RANGE = re.compile(r"\b(?:between|from)\s+((?:19|20)\d\d)\s+(?:and|to|-)\s+((?:19|20)\d\d)\b", re.I)
_SINCE = re.compile(r"\b(since|after|before|until)\s+((?:19|20)\d\d)\b", re.I)
_BARE_YEAR = re.compile(r"\b(?:in|of|during|for|from|year)?\s*((?:19|20)\d\d)\b", re.I)


def _month_number(name: str) -> int:
    name = name.lower()[:3]
    return [m[:3] for m in MONTHS.split("|")[:12]].index(name) + 1


def question_time(question: str, reference: date) -> DateRange | None:
    """The time a question asks about, as a range of days, or None when it names none.

    Relative words ('last year', 'this month', 'yesterday') are resolved against the
    reference date: the question's as-of date, else today.
    """
    m = _YEAR_RANGE.search(question)
    if m:
        a, b = sorted((int(m[1]), int(m[2])))
        return DateRange(date(a, 1, 1), date(b, 12, 31), m[0])
    m = _SINCE.search(question)
    if m:
        y = int(m[2])
        word = m[1].lower()
        if word in ("since", "after"):
            start = date(y + 1, 1, 1) if word == "after" else date(y, 1, 1)
            return DateRange(start, max(reference, start), m[0])
        end = date(y - 1, 12, 31) if word == "before" else date(y, 12, 31)
        return DateRange(date(1900, 1, 1), end, m[0])
    for rx in (_MONTH_YEAR, _DAY_MONTH_YEAR):
        m = rx.search(question)
        if m:
            year, month = int(m["year"]), _month_number(m["month"])
            day = int(m["day"]) if m["day"] else None
            try:
                start, end = interval(year, month, day)
            except ValueError:
                start, end = interval(year, month)
            return DateRange(start, end, m[0])
    m = _BARE_YEAR.search(question)
    if m:
        start, end = interval(int(m[1]))
        return DateRange(start, end, m[0].strip())
    m = _RELATIVE.search(question)
    if m:
        if m["day"]:
            d = reference if m["day"].lower() == "today" else reference - timedelta(days=1)
            return DateRange(d, d, m[0])
        rel, unit = m["rel"].lower(), m["unit"].lower()
        if rel == "past":  # "the past year": a rolling window ending on the reference day
            days = {"year": 365, "month": 30, "week": 7}[unit]
            return DateRange(reference - timedelta(days=days), reference, m[0])
        step = {"this": 0, "last": -1, "previous": -1, "next": 1}[rel]
        if unit == "year":
            start, end = interval(reference.year + step)
        elif unit == "month":
            y, mo = divmod(reference.year * 12 + reference.month - 1 + step, 12)
            start, end = interval(y, mo + 1)
        else:
            monday = reference - timedelta(days=reference.weekday()) + timedelta(weeks=step)
            start, end = monday, monday + timedelta(days=6)
        return DateRange(start, end, m[0])
    return None


# --- time stated in an article's sentence --------------------------------------------
_WEEKDAY = re.compile(r"^(?:on\s+|last\s+|this\s+(?:past\s+)?)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)$", re.I)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_DAY = re.compile(rf"^(?:on\s+)?(?:({MONTHS})\.?\s+[0-3]?\d(?:st|nd|rd|th)?|[0-3]?\d(?:st|nd|rd|th)?\s+({MONTHS})\.?)$", re.I)


def stated_time(text: str, published_on: date | None = None, ahead: bool = False) -> DateRange | None:
    """The days a sentence's date phrase names. Absolute dates stand alone; relative ones
    ('last week', 'Friday', 'Jan. 5', 'yesterday') are read from the article's publication day,
    as its readers read them, and only when that day is known. `ahead`: the sentence speaks of
    what is to come ('will take office on Thursday'), so a weekday is the next one."""
    text = text.strip()
    parsed = parse_absolute(text)
    if parsed:
        d, precision = parsed
        start, end = (d, d) if precision == "day" else interval(d.year, d.month if precision == "month" else None)
        return DateRange(start, end, text)
    if published_on is None:
        return None
    m = _WEEKDAY.match(text)
    if m:
        # News tells what happened: 'Friday' in a Monday paper is the Friday before it, and
        # 'Monday' in it is that day.
        wanted = _WEEKDAYS.index(m[1].lower())
        if ahead and not text.lower().startswith("last"):
            d = published_on + timedelta(days=(wanted - published_on.weekday()) % 7 or 7)
        else:
            d = published_on - timedelta(days=(published_on.weekday() - wanted) % 7)
        return DateRange(d, d, text)
    if _MONTH_DAY.match(text):
        point = dateparser.parse(text, settings={
            "RELATIVE_BASE": datetime.combine(published_on, datetime.min.time()),
            "PREFER_DATES_FROM": "future" if ahead else "past", "RETURN_AS_TIMEZONE_AWARE": False})
        return DateRange(point.date(), point.date(), text) if point else None
    if _RELATIVE.fullmatch(text) or re.fullmatch(r"(?:the\s+)?(?:last|past|previous|this)\s+(?:year|month|week)", text, re.I):
        return question_time(text, published_on)
    return None


def states_time(date_phrases: list[str], time: DateRange | None, published_on: date | None = None) -> bool:
    """Does any of a sentence's date phrases name the asked time? An absolute date counts when it
    falls in it (the old rule: '2024' answers for 'January 2024'); a relative one must lie within."""
    if time is None:
        return True
    for phrase in date_phrases:
        absolute = parse_absolute(phrase)
        if absolute:
            if time.contains(absolute[0]):
                return True
            continue
        named = stated_time(phrase, published_on)
        if named and time.start <= named.start and named.end <= time.end:
            return True
    return False


_POINT_WORDS = re.compile(
    rf"\b(?:{MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow|"
    r"tonight|ago|spring|summer|autumn|fall|winter|morning|afternoon|evening|night|weekend|"
    r"(?:this|last|past|previous|next|coming|early|late|mid)\s+\w+)\b", re.I)
_AMOUNT_OF_TIME = re.compile(r"^\W*(?:about|around|nearly|almost|over|more than|some|at least)?\s*[\w.,-]*\d[\w.,-]*\W*$"
                             r"|(?:^|\s)(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few)"
                             r"[\s-]+(?:years?|months?|weeks?|days?|hours?|decades?|centuries)(?:[\s-]+old)?\W*$", re.I)


def names_a_time(phrase: str) -> bool:
    """Does a DATE phrase say when ('Thursday', 'March 2024', 'last week', '2020'), rather than how
    long or how old ('47', 'three years', '47-year-old')? Only the first answers 'when'."""
    if (_YEAR.search(phrase) or re.search(r"\b(?:1[89]|20)\d0s\b", phrase)) and \
            not re.search(r"\d+[\s-]+years?", phrase, re.I):
        return True
    return bool(_POINT_WORDS.search(phrase)) and not _AMOUNT_OF_TIME.search(phrase)
