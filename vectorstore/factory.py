"""Opening a PassageStore by kind, so callers name a backend instead of importing one."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from vectorstore.base import PassageStore, StoreError
from vectorstore.docstore import stored_meta
from vectorstore.store import FaissStore

# kind -> constructor taking (folder, dim, space=...). A new backend registers here and must
# pass the contract suite in vectorstore/testing.py.
_STORES: dict[str, Callable[..., PassageStore]] = {
    "faiss": FaissStore,
}

STORE_KINDS: tuple[str, ...] = tuple(_STORES)


def open_store(kind: str, folder: Path | str, dim: int, space: str | None = None) -> PassageStore:
    """The store of `kind` in `folder`, for `dim`-dimensional vectors of `space` (an embedding
    model's name; a store refuses vectors of another)."""
    try:
        make = _STORES[kind]
    except KeyError:
        raise StoreError(
            f"unknown store kind {kind!r}; known kinds: {', '.join(STORE_KINDS)}"
        ) from None
    return make(folder, dim, space=space)


def stored_space(kind: str, folder: Path | str) -> str | None:
    """The space a store in `folder` was built with, read without opening it; None where there is
    no store yet (or it predates spaces)."""
    if kind not in _STORES:
        return None  # open_store says what is wrong
    return stored_meta(Path(folder), "space")
