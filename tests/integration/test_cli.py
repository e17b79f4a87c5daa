"""The `byline` command as a user runs it: a subprocess, its own data folder, one-line errors."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, copy_seeds


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    return {**os.environ, "BYLINE_DATA_DIR": str(tmp / "data"), "BYLINE_SEEDS_DIR": str(copy_seeds(tmp / "seeds")),
            "HF_HUB_OFFLINE": "1"}


def byline(env, *args):
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_ask_json_and_docs(env, tmp_path):
    r = byline(env, "ask", "Who invited Zarif to Baghdad in 2025?", "--json")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert "al-Hakim" in body["answer"] and body["citations"][0]["doc_id"] == "001_5636c687975dd817"
    article = tmp_path / "quake.txt"
    article.write_text("A magnitude 5.1 earthquake struck near Kermanshah on Tuesday, Iran's seismology centre said.\n")
    r = byline(env, "ingest", str(article))
    assert r.returncode == 0 and "1 added" in r.stdout
    r = byline(env, "docs", "list", "--json")
    assert {d["id"] for d in json.loads(r.stdout)["items"]} >= {"quake", "003_9635e7a99c58f50c"}
    r = byline(env, "docs", "delete", "quake")
    assert r.returncode == 0
    r = byline(env, "docs", "show", "quake")
    assert r.returncode == 1 and r.stderr.strip() == "byline: no document with id 'quake'"


@pytest.mark.parametrize("args, fragment", [
    (["ask"], "Missing argument"),
    (["ask", "x", "--as-of", "2020-13-01"], "--as-of"),
    (["ask", "x", "--top-k", "99"], "--top-k"),
    (["nope"], "No such command"),
    (["ingest", "/no/such/file.txt"], "no such file"),
    (["eval", "--questions", "/no/such.jsonl"], "does not exist"),
    (["eval", "--generator", "gpt-9"], "unknown generator"),
    (["eval", "--generator", "extractive", "--pipeline", "both"], "--generator"),
    (["model", "install", "llama-70b"], "unknown model"),
])
def test_bad_arguments_give_one_line_and_non_zero(env, args, fragment):
    r = byline(env, *args)
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if line.strip() and "Loading" not in line]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in r.stderr


def test_help_for_every_command(env):
    for args in (["--help"], ["ask", "--help"], ["ingest", "--help"], ["docs", "--help"], ["eval", "--help"], ["serve", "--help"]):
        assert byline(env, *args).returncode == 0


def test_a_missing_local_model_is_one_line_not_a_traceback(env):
    r = byline({**env, "BYLINE_GENERATOR": "llm-local", "BYLINE_LLM_MODEL": "/no/such/model.gguf"},
               "ask", "Who invited Zarif to Baghdad in 2025?")
    lines = [line for line in r.stderr.splitlines() if line.strip() and "Loading" not in line]
    assert r.returncode == 1 and len(lines) == 1 and "no GGUF model at /no/such/model.gguf" in lines[0], r.stderr


def test_ingest_prints_progress_lines_where_stderr_is_no_terminal(env, tmp_path):
    folder = tmp_path / "wires"
    folder.mkdir()
    for i in range(3):
        (folder / f"wire-{i}.txt").write_text(f"Wire {i}\n\nThe Tigris rose {i + 1} metres at Mosul, the ministry said.\n")
    r = byline(env, "ingest", str(folder))
    assert r.returncode == 0 and "3 added" in r.stdout, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("ingest: ")]
    assert lines and lines[-1].startswith("ingest: 3/3 (100%)"), r.stderr
