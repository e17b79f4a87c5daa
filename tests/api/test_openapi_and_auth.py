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


def test_every_error_response_is_declared_in_the_one_error_shape(spec):
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Error"]["properties"]["detail"]["type"] == "string"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                want = "OpenAIError" if path.startswith("/v1/") else "Error"
                assert ref == f"#/components/schemas/{want}", (path, method, status)


@pytest.mark.parametrize("path, method, statuses", [
    ("/ask", "post", {"401", "403", "413", "422", "503"}),
    ("/ask/stream", "post", {"401", "403", "413", "422", "503"}),
    ("/documents", "get", {"401", "403", "422", "503"}),
    ("/documents", "post", {"401", "403", "413", "415", "422", "503"}),
    ("/documents/{doc_id}", "get", {"401", "403", "404", "422", "503"}),
    ("/documents/{doc_id}", "delete", {"401", "403", "404", "422", "503"}),
    ("/conversations", "get", {"401", "403", "422", "503"}),
    ("/conversations/{cid}/messages/stream", "post", {"401", "403", "404", "413", "422", "503"}),
    ("/v1/chat/completions", "post", {"400", "401", "403", "413", "503"}),
])
def test_each_route_documents_the_statuses_it_can_send(spec, path, method, statuses):
    declared = {s for s in spec["paths"][path][method]["responses"] if not s.startswith("2")}
    assert statuses <= declared, (path, method, sorted(statuses - declared))
    assert "422" not in declared or not path.startswith("/v1/")


def test_titles_and_texts_are_documented_as_untrusted(spec):
    article = spec["components"]["schemas"]["Article"]["properties"]
    for field in ("title", "text"):
        assert "untrusted" in article[field]["description"].lower()


def test_conversations_belong_to_the_key_that_made_them(settings, archive):
    from api.app import create_app

    k1, k2 = {"Authorization": "Bearer k1"}, {"Authorization": "Bearer k2"}
    with TestClient(create_app(settings.model_copy(update={"api_keys": ["k1", "k2"]}), archive)) as c:
        assert c.post("/conversations", json={}).status_code == 401  # keys set: a conversation needs one
        assert c.get("/conversations").status_code == 401
        assert c.post("/conversations", json={}, headers={"Authorization": "Bearer k3"}).status_code == 403
        cid = c.post("/conversations", json={"title": "mine"}, headers=k1).json()["id"]
        assert c.get(f"/conversations/{cid}", headers=k1).status_code == 200
        assert cid in [x["id"] for x in c.get("/conversations", headers=k1).json()["items"]]
        # Another key sees nothing of it: not listed, and 404 as if it didn't exist.
        assert cid not in [x["id"] for x in c.get("/conversations", headers=k2).json()["items"]]
        for method, url, body in (("get", f"/conversations/{cid}", None),
                                  ("post", f"/conversations/{cid}/messages", {"content": "Who?"}),
                                  ("post", f"/conversations/{cid}/messages/stream", {"content": "Who?"}),
                                  ("delete", f"/conversations/{cid}", None)):
            r = c.request(method, url, json=body, headers=k2)
            assert r.status_code == 404 and r.json() == {"detail": f"no conversation with id {cid!r}"}
        assert c.delete(f"/conversations/{cid}", headers=k1).status_code == 200
