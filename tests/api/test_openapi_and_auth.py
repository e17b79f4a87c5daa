"""The OpenAPI document shows POST /documents' two bodies and the bearer key scheme; the key
checks behind the scheme still answer 401 without a key and 403 with a wrong one."""
import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def spec(settings, archive):
    from api.app import create_app

    with TestClient(create_app(settings, archive)) as c:
        return c.get("/openapi.json").json()


def test_documents_post_declares_json_and_multipart_bodies(spec):
    body = spec["paths"]["/documents"]["post"]["requestBody"]
    content = body["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert {"id", "text"} <= set(content["application/json"]["schema"]["required"])
    files = content["multipart/form-data"]["schema"]["properties"]["files"]
    assert files["type"] == "array" and files["items"]["format"] == "binary"


def test_openapi_declares_a_bearer_scheme_on_protected_routes(spec):
    schemes = spec["components"]["securitySchemes"]
    [(name, scheme)] = schemes.items()
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for path, method in (("/documents", "post"), ("/documents/{doc_id}", "delete"), ("/ask", "post"),
                         ("/v1/chat/completions", "post")):
        assert {name: []} in spec["paths"][path][method]["security"], (path, method)
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_keys_401_without_403_wrong_and_reads_only_when_protected(settings, archive):
    from api.app import create_app

    doc = {"id": "auth_note", "text": "A note about keys written for this test."}
    with TestClient(create_app(settings.model_copy(update={"api_keys": ["k1"]}), archive)) as c:
        r = c.post("/documents", json=doc)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer KEY" in r.json()["detail"]
        r = c.post("/documents", json=doc, headers={"Authorization": "Basic azE6"})
        assert r.status_code == 401 and "must be 'Bearer KEY'" in r.json()["detail"]
        r = c.post("/documents", json=doc, headers={"Authorization": "Bearer k2"})
        assert r.status_code == 403 and r.json() == {"detail": "that API key is not valid"}
        assert c.get("/v1/models").status_code == 200  # reads open
    with TestClient(create_app(settings.model_copy(update={"api_keys": ["k1"], "protect_reads": True}), archive)) as c:
        r = c.get("/v1/models")
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
        assert c.get("/documents", headers={"Authorization": "Bearer nope"}).status_code == 403
        assert c.get("/documents", headers={"Authorization": "Bearer k1"}).status_code == 200
