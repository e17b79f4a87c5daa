"""Ingest: file → Draft → Article + passages → embeddings → store.

An article whose content hash the store already holds is skipped before any work is
done; a changed one replaces the old version; the embedding cache means a passage's
text is never embedded twice, even across re-ingests and data folders' rebuilds.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Iterator

from tqdm import tqdm

from qa.ingest.readers import ArticleError, Draft, files_under, read_path
from qa.ingest.embeddings import Embedder
from qa.ingest.preparing import PROCESS_FROM, Preparer, Ready
from qa.types import Article, Passage
from qa.progress import ProgressLog, Reported
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


def content_hash(draft: Draft, passage_chars: int, overlap: int) -> str:
    payload = json.dumps(
        [PIPELINE_VERSION, passage_chars, overlap, draft.text, draft.title, draft.source,
         draft.url, draft.published],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def embedding_text(article: Article, passage: Passage) -> str:
    """What is embedded: a stated headline gives a passage its topic; a made one adds nothing."""
    if article.title_inferred:
        return passage.text
    return f"{article.title}\n{passage.text}"


def prepare_processes(cores: int | None = None) -> int:
    """Worker processes that prepare a long ingest: half the cores (at least one), the rest
    encode. On two cores one worker keeps up with bf16 encoding (eval/bench.py)."""
    return max(1, (cores or os.cpu_count() or 1) // 2)


class Ingestor:
    def __init__(self, store: PassageStore, embedder: Embedder, today: date,
                 passage_chars: int = 800, overlap: int = 1, batch: int = 16, processes: int | None = None):
        self.store = store
        self.embedder = embedder
        self.today = today
        self.passage_chars = passage_chars
        self.overlap = overlap
        self.batch = batch
        self.processes = prepare_processes() if processes is None else processes

    def ingest_drafts(self, drafts: Iterable[Draft], progress: bool = False,
                      total: int | None = None) -> IngestReport:
        report = IngestReport()
        bar = tqdm(total=total, unit="article", disable=not progress, desc="ingest")
        # Two stages overlap: drafts are prepared (spaCy, dates, passages) in worker processes,
        # or a thread for a few, while this process embeds and stores the batches before them.
        processes = self.processes if total is None or total >= PROCESS_FROM else 0
        with Preparer(processes, self.today, self.passage_chars, self.overlap) as preparer:
            preparing: deque = deque()
            # A long ingest's first batch is a quarter of the others, so encoding starts sooner; a
            # short one (an upload) stays one batch, written in one transaction.
            first = max(1, self.batch // 4) if processes else self.batch
            for batch in self._changed_batches(drafts, report, bar, first):
                preparing.append(preparer.submit(batch))
                if len(preparing) > preparer.depth:
                    report.merge(self._embed_and_store(preparing.popleft().result(), bar))
            while preparing:
                report.merge(self._embed_and_store(preparing.popleft().result(), bar))
        bar.close()
        return report

    def _changed_batches(self, drafts: Iterable[Draft], report: IngestReport, bar: tqdm,
                         first: int) -> Iterator[list[tuple[Draft, str]]]:
        """Drafts whose content hash the store lacks, in batches; the others are reported unchanged."""
        pending: list[tuple[Draft, str]] = []
        started = False  # whether the first batch has gone
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
            if len(pending) >= (self.batch if started else first):
                yield pending
                pending, started = [], True
        if pending:
            yield pending

    def _embed_and_store(self, prepared: Ready, bar: tqdm) -> IngestReport:
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

    def ingest_paths(self, paths: list[Path], progress: bool = False,
                     log: Callable[[str], None] | None = None) -> IngestReport:
        """Files and folders; a file that can't be read is reported, the others go in. `log`,
        where given, receives plain progress lines (for output that is not a terminal)."""
        report = IngestReport()
        drafts: list[Draft] = []
        for path in files_under(paths):
            try:
                drafts.extend(read_path(path))
            except ArticleError as exc:
                report.failed.append(str(exc))
        todo = Reported(drafts, ProgressLog("ingest", len(drafts), log)) if log and drafts else drafts
        report.merge(self.ingest_drafts(todo, progress=progress, total=len(drafts)))
        return report

