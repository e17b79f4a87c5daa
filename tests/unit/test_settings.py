"""Settings: one object from BYLINE_* variables; typos are warned about, defaults don't depend
on the folder the server is started from."""
import logging
import os
import subprocess
import sys

from qa.settings import PROJECT_SEEDS, Settings, get_settings, unknown_variables
from tests.conftest import ROOT


def test_unknown_byline_variables_are_named():
    env = {"BYLINE_TOPK": "3", "BYLINE_TOP_K": "3", "BYLINE_REQUIRE_LLM": "1", "PATH": "/bin"}
    assert unknown_variables(env) == ["BYLINE_TOPK"]


def test_an_unknown_variable_is_warned_about_when_settings_are_read(monkeypatch, caplog):
    monkeypatch.setenv("BYLINE_LLM_MODEL_PATH", "/models/x.gguf")  # a name that never existed
    get_settings.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="byline"):
            get_settings()
    finally:
        get_settings.cache_clear()
    assert any("BYLINE_LLM_MODEL_PATH is not a Byline setting" in r.getMessage() for r in caplog.records)


def test_the_default_seeds_are_the_projects_whatever_the_working_directory(tmp_path):
    assert PROJECT_SEEDS == ROOT / "seeds" and any(PROJECT_SEEDS.glob("*.txt"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    out = subprocess.run([sys.executable, "-c", "from qa.settings import Settings; print(Settings().seeds_dir)"],
                         cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(ROOT / "seeds")


def test_a_seeds_folder_given_by_the_user_is_kept():
    assert Settings(seeds_dir="elsewhere").seeds_dir.as_posix() == "elsewhere"
