"""Servers sharing one data folder, as `byline serve --workers N` runs them: a write through one
is read by the others, a worker killed is replaced and loses nothing, and a CLI ingest beside an
upload through the API leaves both articles whole. Real processes over loopback."""
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

from eval.serving import free_port, wait_ready
from tests.conftest import ROOT, copy_seeds

QUAKE = {"id": "quake", "text": "A magnitude 5.1 earthquake struck near Kermanshah on Tuesday, Iran's seismology "
         "centre said. Nobody was hurt, the Red Crescent said.", "title": "Quake near Kermanshah",
         "published": "2026-11-03"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory, settings):
    tmp = tmp_path_factory.mktemp("workers")
    env = {**os.environ, "BYLINE_DATA_DIR": str(tmp / "data"), "BYLINE_SEEDS_DIR": str(copy_seeds(tmp / "seeds")),
           "BYLINE_MODEL_DIR": str(settings.model_dir), "BYLINE_TODAY": "2026-11-22", "HF_HUB_OFFLINE": "1"}
    # The seeds ingested once, so the servers below start on a built index.
    assert subprocess.run([sys.executable, "-m", "api.cli", "ask", "Who invited Zarif to Baghdad?"], cwd=ROOT, env=env,
                          capture_output=True, timeout=600).returncode == 0
    return env


@contextmanager
def server(env, workers: int = 1):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=300)
        yield base, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def ask(base, question):
    r = httpx.post(base + "/ask", json={"question": question}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_write_through_one_worker_is_read_by_the_other(folder):
    with server(folder) as (one, _), server(folder) as (other, _):
        r = httpx.post(one + "/documents", json=QUAKE, timeout=120)
        assert r.status_code == 201, r.text
        answer = ask(other, "What was the magnitude of the earthquake near Kermanshah?")
        assert "5.1" in answer["answer"] and answer["citations"] and answer["citations"][0]["doc_id"] == "quake"
        r = httpx.patch(other + "/documents/quake", json={"source": "IRNA"}, timeout=60)
        assert r.status_code == 200, r.text
        assert httpx.get(one + "/documents/quake", timeout=30).json()["source"] == "IRNA"
        assert httpx.delete(other + "/documents/quake", timeout=60).status_code == 200
        assert httpx.get(one + "/documents/quake", timeout=30).status_code == 404
        answer = ask(one, "What was the magnitude of the earthquake near Kermanshah?")
        assert all(c["doc_id"] != "quake" for c in answer["citations"])


def _workers(supervisor: int) -> set[int]:
    """The supervisor's live worker processes (not multiprocessing's resource tracker, nor the
    dead ones not yet reaped)."""
    out = subprocess.run(["ps", "-o", "pid=,stat=,args=", "--ppid", str(supervisor)], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines() if line.strip()]
    return {int(pid) for pid, stat, args in rows if not stat.startswith("Z") and "resource_tracker" not in args}


def test_a_killed_worker_is_replaced_and_loses_nothing(folder):
    with server(folder, workers=2) as (base, proc):
        assert httpx.post(base + "/documents", json=QUAKE, timeout=120).status_code in (200, 201)
        deadline = time.monotonic() + 120
        while len(workers := _workers(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(workers) >= 2, workers
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            now = _workers(proc.pid)
            if victim not in now and len(now) >= 2:
                break
            time.sleep(0.5)
        assert victim not in now and len(now) >= 2, f"not replaced: {workers} -> {now}"
        wait_ready(base, timeout=300)
        for _ in range(4):  # whichever worker answers
            assert "5.1" in ask(base, "What was the magnitude of the earthquake near Kermanshah?")["answer"]
        httpx.delete(base + "/documents/quake", timeout=60)


def test_a_cli_ingest_beside_an_upload_leaves_both_whole(folder, tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    for i in range(6):
        (articles / f"river-{i}.txt").write_text(
            f"Flood report {i}\n\nThe Tigris rose {i + 2} metres at Mosul on day {i}, the water ministry said. "
            "Farmers moved their flocks to higher ground.\n", encoding="utf-8")
    with server(folder) as (base, _):
        cli = subprocess.Popen([sys.executable, "-m", "api.cli", "ingest", str(articles)], cwd=ROOT, env=folder,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        r = httpx.post(base + "/documents", json=QUAKE, timeout=120)
        out, err = cli.communicate(timeout=600)
        assert r.status_code in (200, 201), r.text
        assert cli.returncode == 0 and "6 added" in out, err
        listed = {d["id"] for d in httpx.get(base + "/documents", params={"limit": 100}, timeout=30).json()["items"]}
        assert {"quake", *(f"river-{i}" for i in range(6))} <= listed
        assert "5.1" in ask(base, "What was the magnitude of the earthquake near Kermanshah?")["answer"]
        answer = ask(base, "How many metres did the Tigris rise at Mosul on day 4?")
        assert answer["citations"] and answer["citations"][0]["doc_id"] == "river-4", answer
