"""Metadata corrected by hand: an article's title, source, url or publication date.

The stored text never changes. A corrected value is recorded as stated, not inferred, with
'corrected by hand' as its evidence (and, for a date, what was detected before). The article's
passages are made again from its unchanged text (so a corrected headline reaches the embedded
text) and stored in one write. Its content hash becomes "<the file's hash>+<the correction's>":
ingesting the same file again leaves the correction in place; a changed file replaces both.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date

from qa.errors import BylineError
from qa.ingest.pipeline import Ingestor, embedding_text
from qa.ingest.preparing import prepare
from qa.ingest.readers import from_text
from qa.records import article_from_stored, stored_article, stored_passage
from qa.text import nlp
from qa.text.dates import parse_absolute, published_date
from qa.types import Article, PublishedDate

BY_HAND = "corrected by hand"
FIELDS = ("title", "source", "url", "published")


class CorrectionError(BylineError, ValueError):
    """A correction that can't be applied; the message says which field and why."""


def _text(field: str, value: object, required: bool = False, limit: int = 500) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CorrectionError(f"{field}: can't be empty")
        return None
    if not isinstance(value, str):
        raise CorrectionError(f"{field}: expected text")
    value = " ".join(value.split())
    if len(value) > limit:
        raise CorrectionError(f"{field}: longer than {limit} characters")
    return value


def _was(p: PublishedDate | None) -> str:
    if p is None:
        return "unknown"
    return f"{p.value} (inferred)" if p.inferred else p.value


def corrected_date(value: object, before: PublishedDate | None, today: date) -> PublishedDate | None:
    """A date given by hand ('2025-03-14', '2025-03' or '2025'), stated; None clears it (unknown)."""
    text = _text("published", value, limit=40)
    if text is None:
        return None
    parsed = parse_absolute(text) if text[:4].isdigit() else None
    if parsed is None or text.count("-") > 2 or not text.replace("-", "").isdigit():
        raise CorrectionError(f"published: expected a date as YYYY-MM-DD (or YYYY-MM, YYYY), got {text!r}")
    if parsed[0] > today:
        raise CorrectionError(f"published: {text} is after today ({today})")
    return published_date(parsed[0], parsed[1], False, f"{BY_HAND} (detected: {_was(before)})")


def apply(article: Article, changes: dict[str, object], today: date) -> Article:
    """The article with the changes (only the fields given; None clears source, url or date)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise CorrectionError(f"can't correct {', '.join(sorted(unknown))}: only {', '.join(FIELDS)}")
    update: dict[str, object] = {}
    if "title" in changes:
        update.update(title=_text("title", changes["title"], required=True, limit=300),
                      title_inferred=False, title_evidence=BY_HAND)
    if "source" in changes:
        source = _text("source", changes["source"], limit=200)
        update.update(source=source, source_evidence=BY_HAND if source else None)
    if "url" in changes:
        url = _text("url", changes["url"], limit=2000)
        if url and not url.lower().startswith(("http://", "https://")):
            raise CorrectionError(f"url: expected an http:// or https:// address, got {url!r}")
        update["url"] = url
    if "published" in changes:
        update["published"] = corrected_date(changes["published"], article.published, today)
    return article.model_copy(update=update)


def correct(ingestor: Ingestor, doc_id: str, changes: dict[str, object]) -> Article | None:
    """Apply a correction and store it; None when there is no such article."""
    store = ingestor.store
    stored = store.get_article(doc_id)
    if stored is None:
        return None
    before = article_from_stored(stored)
    after = apply(before, changes, ingestor.today)
    if after == before:
        return before
    # The passages, made again from the same text (header lines kept out as at ingest).
    draft = from_text(doc_id, after.text)
    draft.title = None if after.title_inferred else after.title
    prepared = prepare(draft, nlp.ingest()(after.text), ingestor.today, ingestor.passage_chars, ingestor.overlap)
    vectors = ingestor.embedder.embed([embedding_text(after, p) for p in prepared.passages])
    meta = json.dumps([after.title, after.title_inferred, after.source, after.url,
                       after.published.model_dump(mode="json") if after.published else None], ensure_ascii=False)
    digest = f"{stored.content_hash.split('+')[0]}+{hashlib.sha256(meta.encode('utf-8')).hexdigest()[:16]}"
    store.upsert_many([(stored_article(after, digest), [stored_passage(p) for p in prepared.passages], vectors)])
    return after
