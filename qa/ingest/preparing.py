"""Preparing drafts for embedding: spaCy's sentences and entities, then the headline, date,
source and passages each article's text gives (Draft → Prepared).

A long ingest prepares in worker processes while the parent encodes, so the two stages use two
cores instead of sharing one interpreter's lock (spaCy's entity tagger is a third of an ingest's
work: 28 s of one core for 150 RealTimeQA articles). A few articles are prepared in a thread:
starting a process (about 3 s to load spaCy) costs more than it saves. The parent and its
workers exchange drafts and prepared articles through multiprocessing's own pipes; nothing is
read back from a file.

This module imports neither PyTorch nor the store, so a worker starts with spaCy alone.
"""
from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from threadpoolctl import threadpool_limits

from qa.ingest.boilerplate import boilerplate_spans
from qa.ingest.metadata import date_line, headline, inferred_date, made_title, source_with_evidence, stated_date
from qa.ingest.passages import make_passages
from qa.ingest.readers import ArticleError, Draft
from qa.text import nlp
from qa.types import Article, Passage, PublishedDate

log = logging.getLogger("byline")

# Below this many drafts to prepare, a thread: a worker process would not have started yet.
PROCESS_FROM = 48


@dataclass
class Prepared:
    article: Article
    passages: list[Passage]


def prepare(draft: Draft, doc, today: date, passage_chars: int, overlap: int) -> Prepared:
    """A parsed draft → its Article (title, source, date settled) and its passages."""
    text = draft.text
    skip = list(draft.skip)
    title, title_inferred = draft.title, False
    title_evidence = "metadata" if title else None
    line = date_line(text, skip)
    if line:  # a date line heading the article is no story: kept out of passages, and of the headline
        skip.append((0 if not text[:line[1]].strip() else line[1], line[2]))
    head = headline(text, skip)
    if head:
        skip.append((head[1], head[2]))
        if title is None:
            title, title_evidence = head[0], "headline line"
    skip += boilerplate_spans(text, extra_lines=(title,) if title else ())
    skip.sort()
    story_start = max((e for s, e in skip if s <= 0 or text[:s].strip() == ""), default=0)
    published: PublishedDate | None = stated_date(draft) or inferred_date(doc, skip, today)
    passages = make_passages(draft.id, doc, skip, passage_chars, overlap)
    if not passages:
        raise ArticleError(f"{draft.id}: no article text left after removing boilerplate")
    if title is None:
        first = passages[0].sentences[0]
        title, title_inferred = made_title(text[first.start: first.end]), True
        title_evidence = "made from the first sentence"
    source, source_evidence = draft.source, "metadata" if draft.source else None
    if source is None:
        source, source_evidence = source_with_evidence(text, story_start) or (None, None)
    article = Article(
        id=draft.id,
        title=title,
        title_inferred=title_inferred,
        title_evidence=title_evidence,
        source=source,
        source_evidence=source_evidence,
        url=draft.url,
        published=published,
        text=text,
    )
    return Prepared(article, passages)


Batch = Sequence[tuple[Draft, str]]  # drafts and their content hashes
Ready = tuple[list[tuple[Prepared, str]], list[str]]  # prepared articles with their hashes; failures


def prepare_batch(pending: Batch, today: date, passage_chars: int, overlap: int) -> Ready:
    """Drafts → Prepared articles; one that leaves no text is a failure line, not an exception."""
    ready: list[tuple[Prepared, str]] = []
    failed: list[str] = []
    # One BLAS thread for spaCy: the model's encoding holds the other cores meanwhile.
    with threadpool_limits(1, user_api="blas"):
        docs = list(nlp.ingest().pipe(d.text for d, _ in pending))
    for (draft, digest), doc in zip(pending, docs):
        try:
            ready.append((prepare(draft, doc, today, passage_chars, overlap), digest))
        except ArticleError as exc:
            failed.append(str(exc))
    return ready, failed


def _warm() -> None:
    nlp.ingest()  # each worker loads spaCy once, before its first batch


class Preparer:
    """prepare_batch() beside the caller: in `processes` worker processes (0: one thread).
    Until the workers have loaded spaCy (about 3 s), batches are prepared in the thread, so the
    caller has something to encode from the first second. The workers start with the first
    batch: an ingest whose articles are all stored already (a rerun) starts none."""

    def __init__(self, processes: int, today: date, passage_chars: int, overlap: int):
        self.args = (today, passage_chars, overlap)
        self.processes = processes
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare")
        self._pool: ProcessPoolExecutor | None = None
        self._started: list[Future] = []

    def _start(self) -> None:
        self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm)
        self._started = [self._pool.submit(int) for _ in range(self.processes)]  # done once each has loaded

    @property
    def depth(self) -> int:
        """Batches to keep submitted ahead of the one being embedded, so no worker waits."""
        return self.processes + 1 if self.processes else 1

    def submit(self, pending: Batch) -> "Future[Ready] | _Retried":
        if self.processes and self._pool is None:
            self._start()
        if self._pool is None or not all(f.done() for f in self._started):
            return self._thread.submit(prepare_batch, pending, *self.args)
        return _Retried(self._pool.submit(prepare_batch, pending, *self.args), self._thread, pending, self.args)

    def __enter__(self) -> "Preparer":
        return self

    def __exit__(self, *exc) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class _Retried:
    """A worker's batch, prepared again in the thread if the worker died (killed, out of
    memory): the ingest loses nothing to it."""

    def __init__(self, future: Future, thread: ThreadPoolExecutor, pending: Batch, args: tuple):
        self.future, self.thread, self.pending, self.args = future, thread, pending, args

    def result(self) -> Ready:
        try:
            return self.future.result()
        except BrokenProcessPool:
            log.warning("an ingest worker process died; its %d articles are prepared in this process",
                        len(self.pending))
            return self.thread.submit(prepare_batch, self.pending, *self.args).result()
