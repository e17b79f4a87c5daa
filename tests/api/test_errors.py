"""Errors of Byline's own family reach the client as one line, never as a 500."""
from fastapi.testclient import TestClient


def test_byline_errors_are_one_line_4xx_or_503(settings, archive, monkeypatch):
    from api.app import create_app
    from qa.errors import BylineError, GeneratorUnavailable

    def refuse(*args, **kwargs):
        raise BylineError("that cannot be asked here")

    with TestClient(create_app(settings, archive)) as c:
        monkeypatch.setattr(archive, "ask", refuse)
        r = c.post("/ask", json={"question": "Who?"})
        assert r.status_code == 422 and r.json() == {"detail": "that cannot be asked here"}

        def unavailable(*args, **kwargs):
            raise GeneratorUnavailable("no model here")

        monkeypatch.setattr(archive, "ask", unavailable)
        r = c.post("/ask", json={"question": "Who?"})
        assert r.status_code == 503 and r.json() == {"detail": "the answer generator is unavailable: no model here"}
