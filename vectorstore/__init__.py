"""Passage storage and search. Knows nothing of qa/ or api/."""
from vectorstore.base import (
    Hit,
    PassageFilter,
    PassageStore,
    StoredArticle,
    StoredPassage,
    StoreError,
    UpsertOutcome,
)
from vectorstore.faiss_store import FaissStore

__all__ = [
    "FaissStore",
    "Hit",
    "PassageFilter",
    "PassageStore",
    "StoredArticle",
    "StoredPassage",
    "StoreError",
    "UpsertOutcome",
]
