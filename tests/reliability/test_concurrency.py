"""Finding 1 at the API: askers and a writer at once, over loopback. Several clients ask the seed
questions and one about an article present throughout, while one client keeps adding a long
article in the questions' words and deleting the one before. Every answer must be one that a
single client gets alone, in one of the states the writer passes through; every citation must
quote its article's stored text exactly; none may cite an article whose deletion was
acknowledged before the question was sent. Bounded: 6 askers for 20 s; BYLINE_RELIABILITY_LONG=1:
8 askers for 120 s.
The figures go to test-output/concurrency.json (concurrency-long.json)."""
from __future__ import annotations

import json
import random
import threading
import time

import httpx

from eval.serving import serve
from tests.conftest import ROOT, copy_seeds
from tests.reliability.conftest import LONG, bounded

ASKERS = bounded(6, 8)
SECONDS = bounded(20, 120)
PORT_TEXT = ("BASRA (Harbour News) - The port of Umm Qasr reopened on Friday after a three-day "
             "sandstorm, port director Farhan al-Fartousi said. Ships queued in the Gulf overnight.")
# What the writer adds and deletes, over and over (a few passages: many writes, each a transaction
# a reader could fall into), written in the questions' words without answering them.
FILLER = "\n\n".join(
    f"Officials in Baghdad and Tehran met on day {n} to discuss the port, the director said, and the "
    f"visit by the president was invited to talk about trade, water and security in {2000 + n % 25}. "
    f"Berth {n} took {n + 3} ships; the minister and the ambassador spoke of the border and the Gulf."
    for n in range(1, 13))
PORT_QUESTION = "Who is the director of the Umm Qasr port?"


def _questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "seed_questions.jsonl").read_text().splitlines()]
    return [r["question"] for r in rows if not r.get("history")][:12] + [PORT_QUESTION]


def _signature(answer: dict) -> tuple:
    """What must not change under load: the answer and what it quotes (not the confidence, which
    the store's size moves, nor which copy of the article is cited)."""
    return (answer["answer"], answer["abstained"],
            tuple((c["quote"], c["start"], c["end"], c["title"]) for c in answer["citations"]))


def test_answers_under_concurrent_writes_match_answers_alone(settings, embedder, tmp_path, output_dir):
    from api.app import create_app
    from qa.archive import Archive

    s = settings.model_copy(update={"data_dir": tmp_path / "data", "seeds_dir": copy_seeds(tmp_path / "seeds")})
    archive = Archive(s, embedder=embedder)
    questions = _questions()
    try:
        with serve(create_app(s, archive)) as base, httpx.Client(base_url=base, timeout=120) as client:
            def ask_all() -> dict[str, tuple]:
                return {q: _signature(client.post("/ask", json={"question": q}).raise_for_status().json())
                        for q in questions}

            def add(doc_id: str, text: str) -> None:
                r = client.post("/documents", json={"id": doc_id, "text": text, "published": "2024-03-01"})
                assert r.status_code == 201, r.text

            # The port article is there throughout. Alone, in each state the writer passes
            # through (no filler, one, two), every question gets its answer or answers.
            add("port", PORT_TEXT)
            allowed: dict[str, set[tuple]] = {q: set() for q in questions}
            for state in ([], ["filler-a"], ["filler-b"]):
                for doc_id in state:
                    add(doc_id, FILLER)
                for q, sig in ask_all().items():
                    allowed[q].add(sig)
            for doc_id in ("filler-a", "filler-b"):
                assert client.delete(f"/documents/{doc_id}").status_code == 200
            assert all(not sig[1] for sig in allowed[PORT_QUESTION])  # always answered
            texts = {d["id"]: client.get(f"/documents/{d['id']}").json()["text"]
                     for d in client.get("/documents").json()["items"]}

            added: dict[str, float] = {}  # doc id -> when its upload was sent
            deleted: dict[str, float] = {}  # doc id -> when its deletion was acknowledged
            answers: list[tuple[str, float, float, int, dict | str]] = []
            stop = threading.Event()
            writes = 0

            def writer() -> None:
                nonlocal writes
                with httpx.Client(base_url=base, timeout=120) as c:
                    previous = None
                    n = 0
                    while not stop.is_set():
                        doc_id = f"filler-{n}"
                        added[doc_id] = time.monotonic()
                        r = c.post("/documents", json={"id": doc_id, "text": FILLER, "published": "2024-03-01"})
                        assert r.status_code == 201, r.text
                        if previous:
                            assert c.delete(f"/documents/{previous}").status_code == 200
                            deleted[previous] = time.monotonic()
                        previous, n, writes = doc_id, n + 1, writes + 2

            def asker(seed: int) -> None:
                rng = random.Random(seed)
                with httpx.Client(base_url=base, timeout=120) as c:
                    while not stop.is_set():
                        q = rng.choice(questions)
                        sent = time.monotonic()
                        r = c.post("/ask", json={"question": q})
                        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
                        answers.append((q, sent, time.monotonic(), r.status_code, body))

            threads = [threading.Thread(target=writer)] + [threading.Thread(target=asker, args=(i,))
                                                           for i in range(ASKERS)]
            for t in threads:
                t.start()
            time.sleep(SECONDS)
            stop.set()
            for t in threads:
                t.join(timeout=180)
    finally:
        archive.close()

    errors, differing, misquoted, deleted_cited = [], [], [], []
    for q, sent, done, status, body in answers:
        if status != 200:
            errors.append((q, status, str(body)[:300]))
            continue
        if _signature(body) not in allowed[q]:
            differing.append((q, _signature(body), sorted(allowed[q])))
        for c in body["citations"]:
            text = FILLER if c["doc_id"].startswith("filler-") else texts.get(c["doc_id"], "")
            if text[c["start"]:c["end"]] != c["quote"]:
                misquoted.append((q, c))
            if c["doc_id"] in deleted and deleted[c["doc_id"]] < sent:
                deleted_cited.append((q, c["doc_id"]))
            if c["doc_id"].startswith("filler-") and added.get(c["doc_id"], float("inf")) > done:
                deleted_cited.append((q, c["doc_id"], "cited before it was sent"))
    port_answers = sum(1 for q, *_ in answers if q == PORT_QUESTION)
    (output_dir / ("concurrency-long.json" if LONG else "concurrency.json")).write_text(json.dumps({
        "askers": ASKERS, "seconds": SECONDS, "answers": len(answers), "about_the_port": port_answers,
        "writes": writes, "errors": len(errors), "differing": len(differing), "misquoted": len(misquoted),
        "deleted_cited": len(deleted_cited), "examples": (errors + differing + misquoted + deleted_cited)[:5]},
        indent=1, default=str))
    assert len(answers) >= 4 * ASKERS and writes >= 4, (len(answers), writes)
    assert not errors, errors[:3]
    assert not differing, differing[:3]
    assert not misquoted, misquoted[:3]
    assert not deleted_cited, deleted_cited[:3]
