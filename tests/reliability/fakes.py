"""An embedder with no model, for tests of the plumbing (the API under fuzzing, ingests killed
mid-write) that must run thousands of times fast; what answers are worth is tested elsewhere."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

import numpy as np


class HashEmbedder:
    """Each word hashed to a signed coordinate, the sum normalised: similar texts share words, so
    share coordinates. Deterministic, no model, microseconds a text."""

    name = "hash-words-64"
    space = name  # what the store and the cache know its vectors by (one precision: its own)
    precision = "fp32"
    dim = 64

    def warm(self) -> None:
        """Nothing to load."""

    def encode(self, texts: Sequence[str], query: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0 if h & (1 << 31) else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self.encode(texts)

    def embed_query_vector(self, text: str) -> np.ndarray:
        return self.encode([text], query=True)[0]
