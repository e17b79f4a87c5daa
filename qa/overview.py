"""What the archive holds, for a first screen: how many articles, from which sources, over
which dates, and a few example questions drawn from the articles themselves (a person named at
the start of one of the newest articles: whom they met, where; when they visited).

An example is kept only if the archive answers it from the article it was drawn from with
confidence (`MIN_CONFIDENCE`), so the first screen never suggests a question Byline can't answer.
The overview is worked out once per state of the store (article count and generation) and kept.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from qa.text import nlp
from qa.types import Answer, Article

# The reader's confidence is its calibrated chance of an exact answer; an example must clear
# this. Chosen by hand on the seeds' examples: with the reader trained on five quarters, those
# answered right from their own article scored 0.33 to 0.6, the wrong ones 0.25 and under.
MIN_CONFIDENCE = 0.3
EXAMPLES = 3
TRIED_ARTICLES = 8  # the newest articles an example may come from
MAX_ASKS = 16  # questions tried in all: the first screen waits for them once per state of the store
PAGE = 500
T = TypeVar("T")


class SourceCount(BaseModel):
    name: str
    articles: int


class Overview(BaseModel):
    articles: int
    passages: int
    sources: list[SourceCount] = Field(description="Named sources, most articles first.")
    unknown_source: int = Field(description="Articles whose source is unknown.")
    undated: int = Field(description="Articles whose publication date is unknown.")
    earliest: str | None = Field(description="The earliest publication date, at its precision (2020, 2020-05, 2020-05-08).")
    latest: str | None = Field(description="The latest publication date, at its precision.")
    examples: list[str] = Field(description="Up to three questions the archive answers, drawn from its newest articles.")


class Catalogue(BaseModel):
    """What one pass over the store finds: the overview, and every article id newest first."""
    overview: Overview
    newest: list[str] = Field(description="Dated articles from the newest, then undated ones (by id).")


def all_articles(page: Callable[[int, int], tuple[list[Article], int]]) -> Iterable[Article]:
    offset = 0
    while True:
        items, total = page(offset, PAGE)
        yield from items
        offset += len(items)
        if not items or offset >= total:
            return


def scan(page: Callable[[int, int], tuple[list[Article], int]], passages: int) -> Catalogue:
    """One pass over the articles, a page at a time (only their metadata is kept); the overview
    without its examples (with_examples adds them)."""
    sources: Counter[str] = Counter()
    dated: list[tuple[object, str, str]] = []  # (start, id, value)
    undated: list[str] = []
    count = 0
    for a in all_articles(page):
        count += 1
        if a.source:
            sources[a.source] += 1
        if a.published:
            dated.append((a.published.start, a.id, a.published.value))
        else:
            undated.append(a.id)
    dated.sort(reverse=True)
    newest = [doc_id for _, doc_id, _ in dated] + sorted(undated)
    overview = Overview(
        articles=count, passages=passages,
        sources=[SourceCount(name=n, articles=c) for n, c in sorted(sources.items(), key=lambda x: (-x[1], x[0]))],
        unknown_source=count - sum(sources.values()), undated=len(undated),
        earliest=min(dated)[2] if dated else None, latest=dated[0][2] if dated else None,
        examples=[],
    )
    return Catalogue(overview=overview, newest=newest)


def with_examples(catalogue: Catalogue, get: Callable[[str], Article | None],
                  ask: Callable[[str], Answer]) -> Overview:
    """The overview with example questions drawn from the newest articles."""
    tried = (get(doc_id) for doc_id in catalogue.newest[:TRIED_ARTICLES])
    return catalogue.overview.model_copy(update={"examples": examples([a for a in tried if a is not None], ask)})


def candidates(article: Article) -> list[str]:
    """Questions an article's opening invites: who a person met where, when they visited."""
    text = article.text
    at = text.find(article.title) if not article.title_inferred else -1
    opening = text[at + len(article.title):] if at >= 0 else text
    doc = nlp.ingest()(opening.strip()[:700])
    people = [e.text for e in doc.ents if e.label_ == "PERSON" and len(e.text.split()) >= 2]
    places = [e.text for e in doc.ents if e.label_ == "GPE"]
    out = []
    for person in people[:2]:
        for place in [p for p in places if p not in person][:2]:
            out += [f"Who did {person} meet in {place}?", f"When did {person} visit {place}?"]
        out.append(f"Who did {person} meet?")
    return list(dict.fromkeys(out))


def examples(articles: list[Article], ask: Callable[[str], Answer]) -> list[str]:
    """Up to EXAMPLES questions, one an article, each answered from its own article with confidence."""
    found: list[str] = []
    asked: set[str] = set()
    for article in articles:
        for question in candidates(article):
            if question in asked:  # the same person in another article: answered once already
                continue
            if len(asked) == MAX_ASKS:
                return found
            asked.add(question)
            answer = ask(question)
            if (not answer.abstained and answer.confidence >= MIN_CONFIDENCE
                    and answer.citations and answer.citations[0].doc_id == article.id):
                found.append(question)
                break
        if len(found) == EXAMPLES:
            break
    return found


class Cached(Generic[T]):
    """One value per state of the store (the key); worked out by one caller at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: object = None
        self._value: T | None = None

    def get(self, key: object, make: Callable[[], T]) -> T:
        with self._lock:
            if self._value is None or key != self._key:
                self._value, self._key = make(), key
            return self._value
