"""The process the crash test kills: it ingests, replaces and deletes articles in a store through
the Archive (the real pipeline: readers, spaCy, passages, the store; hashed-word vectors), and
says on stdout what it starts and what the store has acknowledged:

    BEGIN <n> add|delete <id>:<version> ...     before an operation (one transaction)
    ACK <n>                                      once it has returned

    python -m tests.reliability.ingest_child DATA_DIR SEED [--die-at-index-write K]

--die-at-index-write K: the fault injected on purpose: SIGKILL itself on the K-th FAISS file
write, that is after SQLite has committed and before the index file of that generation exists.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sys
from pathlib import Path

WORDS = ("harbour", "ships", "crane", "grain", "tanker", "berth", "pilot", "storm", "cargo", "dock",
         "minister", "bridge", "river", "council", "market", "railway", "flood", "school", "court")


def article_text(doc_id: str, version: int) -> str:
    """The text of an article at a version: a few sentences, the same every time it is asked."""
    rng = random.Random(f"{doc_id}:{version}")
    sentences = []
    for _ in range(rng.randint(3, 14)):
        words = rng.sample(WORDS, 5)
        sentences.append(f"The {words[0]} near the {words[1]} was closed on day {rng.randint(1, 99)}, "
                         f"and the {words[2]} and {words[3]} crews met the {words[4]} officials.")
    return f"{doc_id} version {version}. " + " ".join(sentences)


def version_of(text: str) -> int:
    return int(text.split(" version ", 1)[1].split(".", 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("seed", type=int)
    ap.add_argument("--die-at-index-write", type=int, default=0)
    args = ap.parse_args()

    from qa.archive import Archive
    from qa.ingest.readers import from_record
    from qa.settings import Settings
    from tests.reliability.fakes import HashEmbedder
    from vectorstore.faiss_index import FaissIndex

    if args.die_at_index_write:
        writes = 0
        write = FaissIndex.write

        def write_or_die(self, index, generation):
            nonlocal writes
            writes += 1
            if writes == args.die_at_index_write:
                os.kill(os.getpid(), signal.SIGKILL)  # committed in SQLite; no index file yet
            write(self, index, generation)

        FaissIndex.write = write_or_die

    settings = Settings(data_dir=args.data_dir, seeds_dir=args.data_dir / "no-seeds", today="2026-01-01")
    archive = Archive(settings, embedder=HashEmbedder())
    versions = {a.doc_id: version_of(a.text) for a in archive.store.list_articles(0, 10**6)}
    rng = random.Random(args.seed)
    print("READY", flush=True)
    for n in range(10**6):
        kind = rng.choices(["add", "delete"], weights=[5, 1])[0]
        if kind == "delete" and versions:
            doc_id = rng.choice(sorted(versions))
            print(f"BEGIN {n} delete {doc_id}:0", flush=True)
            archive.delete(doc_id)
            del versions[doc_id]
        else:  # a batch: new articles, and new versions of stored ones
            batch = {}
            for _ in range(rng.randint(1, 12)):
                if versions and rng.random() < 0.3:
                    doc_id = rng.choice(sorted(versions))
                else:
                    doc_id = f"a{args.seed:03d}-{n:05d}-{len(batch)}"
                batch[doc_id] = versions.get(doc_id, 0) + 1
            print(f"BEGIN {n} add " + " ".join(f"{d}:{v}" for d, v in batch.items()), flush=True)
            drafts = [from_record({"id": d, "text": article_text(d, v), "title": d}, d) for d, v in batch.items()]
            report = archive.ingest_drafts(drafts)
            assert not report.failed, report.failed
            versions.update(batch)
        print(f"ACK {n}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
