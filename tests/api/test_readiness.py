"""/readyz counts the articles; an empty archive is a clear warning at start."""
import logging

from fastapi.testclient import TestClient


def test_readyz_counts_articles_and_an_empty_archive_warns(empty_archive, caplog):
    from api.app import create_app

    s = empty_archive.settings
    with caplog.at_level(logging.WARNING, logger="byline"):
        with TestClient(create_app(s, empty_archive)) as c:
            ready = c.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"status": "ready", "ready": True, "articles": 0, "passages": 0,
                                    "generator": "extractive"}
            r = c.post("/documents", json={"id": "one", "text": "The bridge at Samarra reopened on Tuesday."})
            assert r.status_code == 201
            body = c.get("/readyz").json()
            assert body["articles"] == 1 and body["passages"] >= 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "byline" and r.levelno == logging.WARNING]
    assert warnings == [f"the archive is empty: no articles in {s.data_dir}; seeds folder {s.seeds_dir} not found "
                        "— add articles with byline ingest or POST /documents"]


def test_a_seeded_archive_does_not_warn(settings, archive, caplog):
    from api.app import create_app

    with caplog.at_level(logging.WARNING, logger="byline"):
        with TestClient(create_app(settings, archive)) as c:
            assert c.get("/readyz").json()["articles"] == archive.store.count_articles() >= 5
    assert not [r for r in caplog.records if "archive is empty" in r.getMessage()]
