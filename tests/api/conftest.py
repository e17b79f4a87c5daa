import pytest


@pytest.fixture
def empty_archive(tmp_path, settings, embedder):
    """An archive with no articles and no seeds folder, sharing the loaded model."""
    from qa.archive import Archive

    s = settings.model_copy(update={"data_dir": tmp_path / "data", "seeds_dir": tmp_path / "no-seeds"})
    a = Archive(s, embedder=embedder)
    yield a
    a.close()
