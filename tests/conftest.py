import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "realtimeqa-2024q1"
OUTPUT = ROOT / "test-output"


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from qa.settings import Settings

    data = tmp_path_factory.mktemp("data")
    # model_dir of its own: the embedding model's ONNX export is made here, not in the user's cache.
    return Settings(data_dir=data, seeds_dir=SEEDS, today="2026-11-22", model_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def archive(settings):
    """The real pipeline over the real seeds, with the real models."""
    from qa.archive import Archive

    a = Archive(settings)
    a.ensure_seeded(progress=False)
    yield a
    a.close()


@pytest.fixture(scope="session")
def embedder(archive):
    return archive.embedder


@pytest.fixture
def fresh_archive(tmp_path, settings, embedder):
    """An empty archive of its own, sharing the loaded model."""
    from qa.archive import Archive

    s = settings.model_copy(update={"data_dir": tmp_path / "data"})
    a = Archive(s, embedder=embedder)
    yield a
    a.close()


@pytest.fixture(scope="session")
def output_dir():
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, dest / f.name)
    return dest
