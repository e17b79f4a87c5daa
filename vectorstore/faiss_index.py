"""The FAISS index, derived from a DocStore's vectors and never the source of truth.

The file is named after the DocStore's generation, written to a temporary file and renamed
into place; a file that doesn't match the committed generation (a process killed between the
SQLite commit and the index write) or that can't be read is rebuilt from SQLite on open.
Files are read with faiss.read_index only. Nothing is ever unpickled.

Readers search a Version: an index and the generation it holds. A write changes the index in
place only when no reader holds its version; otherwise it changes a copy and publishes that as
the new version, so a reader never meets an index mid-change or one newer than its SQLite reads.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from vectorstore.base import Hit
from vectorstore.docstore import Committed, DocStore

IVF_FROM = 50_000  # passages: below, exact flat search; from here, an inverted file
IVF_PROBES = 16


@dataclass(eq=False)
class Version:
    """A FAISS index as of one generation. `readers` counts the snapshots holding it: while any
    does, the index is never changed in place."""
    index: faiss.Index
    generation: int
    readers: int = 0


class FaissIndex:
    """vectors-<generation>.faiss in the DocStore's folder; `current` is the published Version.
    The caller (FaissStore) serialises writes and guards `current` with its lock."""

    def __init__(self, docs: DocStore, ivf_from: int = IVF_FROM):
        self.docs = docs
        self.folder = docs.folder
        self.dim = docs.dim
        self.ivf_from = ivf_from
        self.current = Version(self._load_or_rebuild(), docs.generation)

    @property
    def index(self) -> faiss.Index:
        return self.current.index

    @property
    def ntotal(self) -> int:
        return self.current.index.ntotal

    def path(self, generation: int) -> Path:
        return self.folder / f"vectors-{generation}.faiss"

    # --- choosing, building and loading ----------------------------------------------
    def _new_index(self, n: int) -> faiss.Index:
        """The index type for a store of n passages (eval/scale.py measured the choice):
        exact flat search below `ivf_from` (50,000: about 15 ms a query on 2 cores), an
        inverted file above it (IVF-Flat, 4·√n lists, 16 probed: 0.6-0.7 ms and recall@10
        0.99-1.0 at a million, tight or spread clusters, where flat takes 110-270 ms). IVF keeps exact vectors, deletes in place and
        takes the same ID selectors as flat, which HNSW (no deletes) does not."""
        if n < self.ivf_from:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))  # FAISS wants ~39 points a list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.nprobe = min(IVF_PROBES, nlist)
        index.train(np.stack(self.docs.sample_vectors(min(n, 256 * nlist))))
        self.docs.set_meta("trained_on", str(n))
        return index

    def _wants_rebuild(self, index: faiss.Index) -> bool:
        """Crossing the size rule, or an inverted file grown 4× past what it was trained on."""
        n = index.ntotal
        if not isinstance(index, faiss.IndexIVF):
            return n >= self.ivf_from
        return n >= 4 * int(self.docs.meta("trained_on") or n) or n < self.ivf_from // 2

    def _load_or_rebuild(self) -> faiss.Index:
        path = self.path(self.docs.generation)
        expected = self.docs.count_passages()
        if path.exists():
            try:
                index = faiss.read_index(str(path))
                if index.ntotal == expected and index.d == self.dim:
                    if isinstance(index, faiss.IndexIVF):
                        index.nprobe = min(IVF_PROBES, index.nlist)
                    return index
            except RuntimeError:
                pass  # a damaged file is rebuilt below
        index = self.rebuild(expected)
        self.write(index, self.docs.generation)
        return index

    def reload(self) -> Version:
        """The committed generation's version, from its file or rebuilt (the caller holds the
        store's write lock); not yet published."""
        return Version(self._load_or_rebuild(), self.docs.generation)

    def rebuild(self, expected: int) -> faiss.Index:
        """A new index of every vector in the DocStore (read on its writer's connection)."""
        index = self._new_index(expected)
        batch_ids: list[int] = []
        batch_vecs: list[np.ndarray] = []
        for pid, vector in self.docs.iter_vectors():
            batch_ids.append(pid)
            batch_vecs.append(vector)
            if len(batch_ids) >= 50_000:
                index.add_with_ids(np.stack(batch_vecs), np.asarray(batch_ids, dtype=np.int64))
                batch_ids, batch_vecs = [], []
        if batch_ids:
            index.add_with_ids(np.stack(batch_vecs), np.asarray(batch_ids, dtype=np.int64))
        return index

    def write(self, index: faiss.Index, generation: int) -> None:
        final = self.path(generation)
        tmp = final.with_suffix(".faiss.tmp")
        faiss.write_index(index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        for old in self.folder.glob("vectors-*.faiss*"):
            if old != final:
                old.unlink(missing_ok=True)

    # --- following the DocStore ------------------------------------------------------
    def apply(self, c: Committed) -> Version:
        """Follow a write SQLite has just committed (called under the store's lock) and publish
        the new version; the caller writes its file with write() once the lock is let go.
        The published index is a copy when a reader holds the current one."""
        old = self.current
        index = old.index if old.readers == 0 else faiss.clone_index(old.index)
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = min(IVF_PROBES, index.nlist)
        if c.removed:
            index.remove_ids(faiss.IDSelectorBatch(np.asarray(c.removed, dtype=np.int64)))
        if c.added:
            index.add_with_ids(c.vectors, np.asarray(c.added, dtype=np.int64))
        if self._wants_rebuild(index):
            index = self.rebuild(self.docs.count_passages())
        self.current = Version(index, c.generation)
        return self.current


def search(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
    """The k nearest to a (1, dim) float32 query in `index`, among the `allowed` ids if given.
    Only reads the index: searches of one index run side by side."""
    if index.ntotal == 0:
        return []
    k = min(k, index.ntotal)
    if allowed is None:
        scores, ids = index.search(query, k)
        return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i != -1]
    if allowed.size == 0:
        return []
    # The selector is applied inside the search, so k hits come back whenever k
    # passages pass the filter (no post-filtering shortfall).
    sel = faiss.IDSelectorBatch(allowed)
    if not isinstance(index, faiss.IndexIVF):
        scores, ids = index.search(query, k, params=faiss.SearchParameters(sel=sel))
    else:
        # An inverted file's selector sees only the lists it probes. A narrow filter
        # (one week of a big archive) leaves few passages there, so probe more lists
        # the fewer pass, expecting 2k of them; and all lists if still short.
        nlist = index.nlist
        nprobe = min(nlist, max(index.nprobe, math.ceil(2 * k * nlist / allowed.size)))
        scores, ids = index.search(query, k, params=faiss.SearchParametersIVF(sel=sel, nprobe=nprobe))
        if (ids[0] != -1).sum() < min(k, allowed.size) and nprobe < nlist:
            scores, ids = index.search(query, k, params=faiss.SearchParametersIVF(sel=sel, nprobe=nlist))
    return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i != -1]
