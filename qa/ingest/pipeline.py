"""Ingest: file → Draft → Article + passages → embeddings → store.

An article whose content hash the store already holds is skipped before any work is
done; a changed one replaces the old version; the embedding cache means a passage's
text is never embedded twice, even across re-ingests and data folders' rebuilds.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterable, Iterator, Sequence

from threadpoolctl import threadpool_limits
from tqdm import tqdm

from qa.text import nlp
from qa.ingest.readers import ArticleError, Draft, files_under, read_path
from qa.ingest.boilerplate import boilerplate_spans
from qa.ingest.embeddings import Embedder
from qa.ingest.metadata import date_line, headline, inferred_date, made_title, source_with_evidence, stated_date
from qa.types import Article, Passage, PublishedDate
from qa.ingest.passages import make_passages
from qa.records import stored_article, stored_passage
from vectorstore import PassageStore, UpsertOutcome

# Bump when passage-making or metadata rules change, so re-ingest rebuilds old articles.
PIPELINE_VERSION = "2"  # 2: a date line under a headline or byline is stated


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line each: "name: why"
    passages: int = 0

    def merge(self, other: "IngestReport") -> None:
        for name in ("added", "replaced", "unchanged", "failed"):
            getattr(self, name).extend(getattr(other, name))
        self.passages += other.passages

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed; "
            f"{self.passages} passages embedded"
        )


@dataclass
class Prepared:
    article: Article
    passages: list[Passage]


def content_hash(draft: Draft, passage_chars: int, overlap: int) -> str:
    payload = json.dumps(
        [PIPELINE_VERSION, passage_chars, overlap, draft.text, draft.title, draft.source,
         draft.url, draft.published],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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


def embedding_text(article: Article, passage: Passage) -> str:
    """What is embedded: a stated headline gives a passage its topic; a made one adds nothing."""
    if article.title_inferred:
        return passage.text
    return f"{article.title}\n{passage.text}"


class Ingestor:
    def __init__(self, store: PassageStore, embedder: Embedder, today: date,
                 passage_chars: int = 800, overlap: int = 1, batch: int = 16):
        self.store = store
        self.embedder = embedder
        self.today = today
        self.passage_chars = passage_chars
        self.overlap = overlap
        self.batch = batch

    def ingest_drafts(self, drafts: Iterable[Draft], progress: bool = False,
                      total: int | None = None) -> IngestReport:
        report = IngestReport()
        bar = tqdm(total=total, unit="article", disable=not progress, desc="ingest")
        # Two stages overlap: spaCy prepares the next batch in a worker thread while the
        # model embeds this one (both release the GIL in their matrix code), so the
        # sentence and entity pass costs less than its own time on two cores.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare") as worker:
            preparing: Future | None = None
            for batch in self._changed_batches(drafts, report, bar):
                following = worker.submit(self._prepare, batch)
                if preparing is not None:
                    report.merge(self._embed_and_store(preparing.result(), bar))
                preparing = following
            if preparing is not None:
                report.merge(self._embed_and_store(preparing.result(), bar))
        bar.close()
        return report

    def _changed_batches(self, drafts: Iterable[Draft], report: IngestReport,
                         bar: tqdm) -> Iterator[list[tuple[Draft, str]]]:
        """Drafts whose content hash the store lacks, in batches; the others are reported unchanged."""
        pending: list[tuple[Draft, str]] = []
        for draft in drafts:
            digest = content_hash(draft, self.passage_chars, self.overlap)
            stored = self.store.content_hash(draft.id)
            # "digest+…": this file's article with metadata corrected by hand; the file unchanged,
            # the correction stays.
            if stored == digest or (stored or "").startswith(digest + "+"):
                report.unchanged.append(draft.id)
                bar.update(1)
                continue
            pending.append((draft, digest))
            if len(pending) >= self.batch:
                yield pending
                pending = []
        if pending:
            yield pending

    def _prepare(self, pending: Sequence[tuple[Draft, str]]) -> tuple[list[tuple[Prepared, str]], list[str]]:
        ready: list[tuple[Prepared, str]] = []
        failed: list[str] = []
        # One BLAS thread for spaCy: the model's encoding holds both cores meanwhile.
        with threadpool_limits(1, user_api="blas"):
            docs = list(nlp.ingest().pipe(d.text for d, _ in pending))
        for (draft, digest), doc in zip(pending, docs):
            try:
                ready.append((prepare(draft, doc, self.today, self.passage_chars, self.overlap), digest))
            except ArticleError as exc:
                failed.append(str(exc))
        return ready, failed

    def _embed_and_store(self, prepared: tuple[list[tuple[Prepared, str]], list[str]], bar: tqdm) -> IngestReport:
        ready, failed = prepared
        report = IngestReport(failed=list(failed))
        bar.update(len(failed))
        texts = [embedding_text(p.article, psg) for p, _ in ready for psg in p.passages]
        vectors = self.embedder.embed(texts)
        items, offset = [], 0
        for prepared_article, digest in ready:
            n = len(prepared_article.passages)
            stored = stored_article(prepared_article.article, digest)
            passages = [stored_passage(p) for p in prepared_article.passages]
            items.append((stored, passages, vectors[offset: offset + n]))
            offset += n
        outcomes = self.store.upsert_many(items)
        for (prepared_article, _), outcome in zip(ready, outcomes):
            name = {UpsertOutcome.ADDED: report.added, UpsertOutcome.REPLACED: report.replaced,
                    UpsertOutcome.UNCHANGED: report.unchanged}[outcome]
            name.append(prepared_article.article.id)
            if outcome != UpsertOutcome.UNCHANGED:
                report.passages += len(prepared_article.passages)
            bar.update(1)
        return report

    def ingest_paths(self, paths: list[Path], progress: bool = False) -> IngestReport:
        """Files and folders; a file that can't be read is reported, the others go in."""
        report = IngestReport()
        drafts: list[Draft] = []
        for path in files_under(paths):
            try:
                drafts.extend(read_path(path))
            except ArticleError as exc:
                report.failed.append(str(exc))
        report.merge(self.ingest_drafts(drafts, progress=progress, total=len(drafts)))
        return report

