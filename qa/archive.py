"""The archive: a store of articles you can add to, list, delete and ask questions of.

A thin facade the HTTP API, the command line and the eval share: ingest (qa/ingest/) on one
side, asking (qa/ask/service.py) on the other, over one store and one embedder.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from qa.ask.service import Asker, Trace
from qa.ingest.embeddings import Embedder, EmbeddingCache
from qa.ingest.pipeline import IngestReport, Ingestor
from qa.ingest.readers import Draft
from qa.records import article_from_stored
from qa.settings import Settings
from qa.types import Answer, Article, AskEvent, Filters, Turn
from vectorstore import PassageStore, open_store


class Archive:
    def __init__(self, settings: Settings, store: PassageStore | None = None,
                 embedder: Embedder | None = None):
        self.settings = settings
        data = Path(settings.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder or Embedder(
            settings.embedding_model, EmbeddingCache(data / "embeddings.sqlite"),
            settings.embedding_batch_size,
        )
        self.store = store or open_store(settings.store, data / "index", self.embedder.dim, space=self.embedder.name)
        self.ingestor = Ingestor(self.store, self.embedder, settings.reference_date(),
                                 settings.passage_chars, settings.passage_overlap_sentences)
        self.asker = Asker(settings, self.store, self.embedder)

    # --- articles -----------------------------------------------------------------
    def ingest_paths(self, paths: list[Path], progress: bool = False) -> IngestReport:
        return self.ingestor.ingest_paths(paths, progress=progress)

    def ingest_drafts(self, drafts: list[Draft], progress: bool = False) -> IngestReport:
        return self.ingestor.ingest_drafts(drafts, progress=progress, total=len(drafts))

    def ensure_seeded(self, progress: bool = True) -> IngestReport | None:
        """On first run (an empty store), ingest the seed articles."""
        if self.store.count_articles() > 0 or not Path(self.settings.seeds_dir).is_dir():
            return None
        return self.ingest_paths([Path(self.settings.seeds_dir)], progress=progress)

    def get(self, doc_id: str) -> Article | None:
        stored = self.store.get_article(doc_id)
        return article_from_stored(stored) if stored else None

    def list(self, offset: int = 0, limit: int = 50) -> tuple[list[Article], int]:
        return ([article_from_stored(a) for a in self.store.list_articles(offset, limit)],
                self.store.count_articles())

    def delete(self, doc_id: str) -> bool:
        return self.store.delete(doc_id)

    # --- questions ----------------------------------------------------------------
    @property
    def generator(self) -> str:
        return self.asker.generator.name

    def load_generator(self) -> None:
        self.asker.generator.load()

    def ask(self, question: str, history: list[Turn] | None = None, as_of: date | None = None,
            filters: Filters | None = None, top_k: int | None = None, trace: Trace | None = None) -> Answer:
        return self.asker.ask(question, history, as_of, filters, top_k, trace)

    def ask_events(self, question: str, history: list[Turn] | None = None, as_of: date | None = None,
                   filters: Filters | None = None, top_k: int | None = None,
                   trace: Trace | None = None) -> Iterator[AskEvent]:
        return self.asker.events(question, history, as_of, filters, top_k, trace)

    def close(self) -> None:
        self.store.close()
        self.asker.generator.close()
