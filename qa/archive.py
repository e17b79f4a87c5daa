"""The archive: a store of articles you can add to, list, delete and ask questions of.

A thin facade the HTTP API, the command line and the eval share: ingest (qa/ingest/) on one
side, asking (qa/ask/service.py) on the other, over one store and one embedder.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from qa.ask.choices import ChoiceSupport
from qa.ask.service import Asker
from qa.reading import Trace
from qa.ingest import corrections
from qa.ingest.embeddings import Embedder, EmbeddingCache, default_precision, precision_of, space_of
from qa.ingest.pipeline import IngestReport, Ingestor
from qa.ingest.readers import Draft
from qa.overview import Cached, Catalogue, Overview, scan, with_examples
from qa.records import article_from_stored
from qa.settings import Settings
from qa.types import Answer, Article, AskEvent, Query
from vectorstore import PassageStore, StoreReads, open_store, stored_space


def precision(settings: Settings, space: str | None) -> str:
    """The passages' precision: the one set, else the one a store was built with (an existing
    data folder keeps its vectors), else the machine's default."""
    if settings.embedding_precision != "auto":
        return settings.embedding_precision
    if space is not None and space_of(settings.embedding_model, precision_of(space)) == space:
        return precision_of(space)
    return default_precision(settings.embedding_model)


def embedder_for(settings: Settings, stored: str | None = None) -> Embedder:
    """The settings' embedder over the data folder's cache, for a store built in space `stored`."""
    return Embedder(settings.embedding_model, EmbeddingCache(Path(settings.data_dir) / "embeddings.sqlite"),
                    settings.embedding_batch_size, settings.onnx_dir(), precision(settings, stored))


class Archive:
    def __init__(self, settings: Settings, store: PassageStore | None = None,
                 embedder: Embedder | None = None):
        self.settings = settings
        data = Path(settings.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        self.embedder = embedder or embedder_for(settings, stored_space(settings.store, data / "index"))
        t1 = time.perf_counter()
        self.store = store or open_store(settings.store, data / "index", self.embedder.dim, space=self.embedder.space)
        t2 = time.perf_counter()
        self.ingestor = Ingestor(self.store, self.embedder, settings.reference_date(),
                                 settings.passage_chars, settings.passage_overlap_sentences)
        self.asker = Asker(settings, self.store, self.embedder)
        # Where a start's time goes (logged by the server when ready; eval/bench.py prints it).
        self.load_seconds = {"embedder": t1 - t0, "store": t2 - t1, "asker": time.perf_counter() - t2}
        self._catalogue: Cached[Catalogue] = Cached()
        self._overview: Cached[Overview] = Cached()

    # --- articles -----------------------------------------------------------------
    def ingest_paths(self, paths: list[Path], progress: bool = False,
                     log: Callable[[str], None] | None = None) -> IngestReport:
        """`progress`: a bar on a terminal; `log`: plain progress lines, for output that is not one."""
        return self.ingestor.ingest_paths(paths, progress=progress, log=log)

    def ingest_drafts(self, drafts: list[Draft], progress: bool = False) -> IngestReport:
        """Each batch of articles is written whole under the write lock; the embedding before
        it holds no lock, so a long ingest never keeps an upload or a delete waiting long."""
        return self.ingestor.ingest_drafts(drafts, progress=progress, total=len(drafts))

    def ensure_seeded(self, progress: bool = True) -> IngestReport | None:
        """On first run (an empty store), ingest the seed articles: once, however many processes
        (a server's workers) start at the same time; the others wait, then find them stored."""
        if self.store.count_articles() > 0 or not Path(self.settings.seeds_dir).is_dir():
            return None  # the usual case: no write lock taken (`byline ask` calls this every time)
        with self.writing():
            if self.store.count_articles() > 0:
                return None
            return self.ingest_paths([Path(self.settings.seeds_dir)], progress=progress)

    def get(self, doc_id: str) -> Article | None:
        stored = self.store.get_article(doc_id)
        return article_from_stored(stored) if stored else None

    def list(self, offset: int = 0, limit: int = 50) -> tuple[list[Article], int]:
        with self.store.snapshot() as view:  # the page and its total from one state of the store
            return ([article_from_stored(a) for a in view.list_articles(offset, limit)],
                    view.count_articles())

    def delete(self, doc_id: str) -> bool:
        return self.store.delete(doc_id)

    def writing(self):
        """Every other writer of this data folder, in any process (the API's workers, a CLI
        ingest), held off until the block ends."""
        return self.store.writing()

    def correct(self, doc_id: str, changes: dict[str, object]) -> Article | None:
        """Correct an article's title, source, url or published date by hand (qa/ingest/corrections.py);
        None when there is no such article. Raises CorrectionError (a BylineError) for a bad value.
        The article is read and written back under the write lock: no other write comes between."""
        with self.writing():
            return corrections.correct(self.ingestor, doc_id, changes)

    def _state(self) -> tuple:
        """What says the store changed: its counts and its generation."""
        return self.store.count_articles(), self.store.count_passages(), self.store.generation

    def _scan(self, key: tuple) -> Catalogue:
        return self._catalogue.get(key, lambda: scan(self.list, key[1]))

    def overview(self) -> Overview:
        """Article and passage counts, sources, the date range and example questions."""
        key = self._state()
        return self._overview.get(key, lambda: with_examples(self._scan(key), self.get, self.ask))

    def list_newest(self, offset: int = 0, limit: int = 50) -> tuple[list[Article], int]:
        """Articles newest first (by publication date; undated ones last)."""
        ids = self._scan(self._state()).newest
        found = [self.get(doc_id) for doc_id in ids[offset:offset + limit]]
        return [a for a in found if a is not None], len(ids)

    # --- questions ----------------------------------------------------------------
    # "generator" is the public name (BYLINE_GENERATOR, Answer.generator) of the reader that
    # speaks the answer (qa/ask/readers.py).
    @property
    def generator(self) -> str:
        return self.asker.reader.name

    def load_generator(self) -> None:
        self.asker.reader.load()

    def ask(self, query: Query | str, trace: Trace | None = None) -> Answer:
        """The answer to a query (a bare string: the question alone, asked today)."""
        with self.store.snapshot() as view:
            return self._over(view).ask(as_query(query), trace)

    def choose(self, query: Query | str, choices: list[str]) -> list[ChoiceSupport]:
        with self.store.snapshot() as view:
            return self._over(view).choose(as_query(query), choices)

    def ask_events(self, query: Query | str, trace: Trace | None = None) -> Iterator[AskEvent]:
        with self.store.snapshot() as view:
            yield from self._over(view).events(as_query(query), trace)

    def _over(self, view: StoreReads) -> Asker:
        """The asker reading one snapshot of the store: every search and fetch of a question
        sees the same committed articles, whatever is added or deleted meanwhile (the models
        and the generator are shared)."""
        asker = copy.copy(self.asker)
        asker.store = view
        return asker

    def close(self) -> None:
        self.store.close()
        self.asker.reader.close()


def as_query(query: Query | str) -> Query:
    return Query(query) if isinstance(query, str) else query
