"""The OpenAPI document, made true for errors and for what a client must not trust: every status
each route can send is declared, in the one error shape (api/errors.py), read off what the route
depends on; and the fields that come from articles are marked as untrusted text."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.errors import ErrorBody, OpenAIErrorBody

WHY = {
    400: "The body can't be read (not JSON, not UTF-8, broken multipart); under /v1, any bad body.",
    401: "An API key is needed (when BYLINE_API_KEYS is set): send 'Authorization: Bearer KEY'.",
    403: "The API key is not valid.",
    404: "No such item (or not one of this API key's conversations).",
    413: "The request body is larger than its cap (BYLINE_MAX_BODY_BYTES; BYLINE_MAX_UPLOAD_BYTES for uploads).",
    415: "The body's content type is not accepted.",
    422: "A parameter or the body is not valid; the detail says which and why.",
    503: "Still starting (the index is being built), or the answer generator is unavailable.",
}


# Text that comes from an article (its file, an upload, a web page's meta tags) as it was written:
# it may hold HTML or script ("<img src=x onerror=...>" as a title). Shown as text, never as markup.
UNTRUSTED = {"Article": ("title", "text", "source", "url"), "DocumentSummary": ("title", "source", "url"),
             "Citation": ("title", "source", "url", "quote")}
UNTRUSTED_NOTE = ("Untrusted text, as the article gave it (it may contain HTML or script): render it as "
                  "text, never as markup.")


def _calls(dependant: Dependant) -> set:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _params(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.header_params or dependant.body_params:
        return True
    return any(_params(sub) for sub in dependant.dependencies)


def route_errors(route: Any) -> set[int]:
    """The error statuses a route can send, read off what it depends on: key checks (401, 403),
    the archive or conversations (503 while starting), a path parameter (404), a body (400 if
    unreadable, 413 if too large), parameters (422, or 400 under /v1); and whatever the route
    declares itself."""
    from api import deps  # the dependencies whose errors are known

    calls = _calls(route.dependant)
    statuses = {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    if calls & {deps.require_read, deps.require_write, deps.conversation_owner}:
        statuses |= {401, 403}
    if calls & {deps.get_archive, deps.get_conversations}:
        statuses.add(503)
    if route.dependant.path_params or deps.existing_conversation in calls:
        statuses.add(404)
    has_body = route.body_field is not None or "requestBody" in (route.openapi_extra or {})
    if has_body:
        statuses |= {400, 413}  # a body that can't be read (not UTF-8 JSON, broken multipart); too large
    if _params(route.dependant) or has_body:
        statuses.add(400 if route.path.startswith("/v1/") else 422)
    return statuses


def needs_key(app: FastAPI, route: Any) -> bool:
    """Whether this app (as configured) refuses the route without a key."""
    from api import deps

    keys = app.state.keys
    calls = _calls(route.dependant)
    if not keys.enabled:
        return False
    return bool(calls & {deps.require_write, deps.conversation_owner}) or (
        keys.protect_reads and deps.require_read in calls)


def document(app: FastAPI) -> dict[str, Any]:
    """app.openapi: FastAPI's document, with the errors declared and untrusted fields marked."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in (("Error", ErrorBody), ("OpenAIError", OpenAIErrorBody)):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[name] = model_schema
    for route in iter_route_contexts(app.routes):  # included routers' routes, with their dependencies
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        ref = "OpenAIError" if route.path.startswith("/v1/") else "Error"
        for method in route.methods:
            op = schema["paths"][route.path_format][method.lower()]
            responses = op["responses"]
            if route.path.startswith("/v1/"):
                responses.pop("422", None)  # /v1 answers a bad body with 400, as OpenAI does
            if "security" in op and not needs_key(app, route):
                op["security"] = [*op["security"], {}]  # a key may be sent, but none is needed
            for status in sorted(route_errors(route)):
                declared = responses.setdefault(str(status), {})
                declared.setdefault("description", WHY.get(status, "Error."))
                declared["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    for name, fields in UNTRUSTED.items():
        for field in fields:
            prop = components.get(name, {}).get("properties", {}).get(field)
            if prop is not None:
                prop["description"] = (prop.get("description", "") + " " + UNTRUSTED_NOTE).strip()
    app.openapi_schema = schema
    return schema
