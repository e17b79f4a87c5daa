"""`byline docs set`: a correction by hand from the command line, and a bad one refused in one line."""
import json
import os
import subprocess
import sys

from tests.conftest import ROOT, copy_seeds


def byline(env, *args):
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_docs_set_corrects_metadata_and_refuses_bad_dates(tmp_path):
    seeds = copy_seeds(tmp_path / "seeds")
    env = {**os.environ, "BYLINE_DATA_DIR": str(tmp_path / "data"), "BYLINE_SEEDS_DIR": str(seeds), "HF_HUB_OFFLINE": "1"}
    assert byline(env, "ingest", str(seeds)).returncode == 0
    r = byline(env, "docs", "set", "004_cf2dca9934893808", "--published", "2020-07-22", "--source", "IRNA", "--json")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["published"]["value"] == "2020-07-22" and body["published"]["inferred"] is False
    assert body["published"]["evidence"] == "corrected by hand (detected: unknown)" and body["source"] == "IRNA"
    r = byline(env, "docs", "set", "004_cf2dca9934893808", "--published", "22/07/2020")
    assert r.returncode == 2 and r.stderr.strip().startswith("byline: published: expected a date as YYYY-MM-DD")
    r = byline(env, "docs", "show", "004_cf2dca9934893808", "--json")
    assert json.loads(r.stdout)["published"]["value"] == "2020-07-22"
