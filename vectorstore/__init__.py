"""Passage storage and search. Knows nothing of qa/ or api/.

SQLite is the source of truth (docstore.py); the FAISS index is derived from it
(faiss_index.py); FaissStore (store.py) puts the two together behind PassageStore (base.py).
"""
from vectorstore.base import (
    DenseIndex,
    Hit,
    LexicalIndex,
    PassageFilter,
    PassageStore,
    StoredArticle,
    StoredPassage,
    StoreError,
    StoreReads,
    UpsertOutcome,
)
from vectorstore.factory import STORE_KINDS, open_store, stored_space
from vectorstore.store import FaissStore

__all__ = [
    "DenseIndex",
    "FaissStore",
    "Hit",
    "LexicalIndex",
    "PassageFilter",
    "PassageStore",
    "STORE_KINDS",
    "StoredArticle",
    "StoredPassage",
    "StoreError",
    "StoreReads",
    "UpsertOutcome",
    "open_store",
    "stored_space",
]
