"""The OpenAPI document covers every API route and describes it truthfully."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask.testing import FlaskClient


def _api_rules(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in (
            "api_v1.openapi_json",
            "api_v1.docs",
        ):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?(\w+)>", r"{\1}", rule.rule)
        methods = set(rule.methods or ())
        # Flask adds HEAD to every GET and OPTIONS to every rule by itself.
        if "GET" in methods:
            methods.discard("HEAD")
        if methods - {"OPTIONS"}:
            methods.discard("OPTIONS")
        for method in methods:
            found.add((method.lower(), path))
    return found


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == _api_rules(app)


def test_every_schema_reference_resolves(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', str(doc).replace("'", '"')))
    assert refs, "the document uses shared schemas"
    assert refs <= set(doc["components"]["schemas"])


def _refs(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in a JSON document, with the JSON Pointer of the object holding it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from _refs(value, f"{where}/{_escape(str(key))}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _refs(item, f"{where}/{i}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    """Follow a local reference (RFC 6901 JSON Pointer after ``#``); KeyError if it dangles."""
    assert ref.startswith("#/"), f"only local references are expected, got {ref}"
    node: Any = doc
    for escaped in ref[2:].split("/"):
        token = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_every_reference_anywhere_in_the_document_resolves(client: FlaskClient) -> None:
    """Parameters, bodies, responses and schemas alike: a generator or client that follows a
    dangling ``$ref`` fails on the whole document."""
    doc = client.get("/api/v1/openapi.json").json
    found = list(_refs(doc))
    assert found
    dangling = []
    for where, ref in found:
        try:
            _resolve(doc, ref)
        except (KeyError, IndexError, ValueError):
            dangling.append((where, ref))
    assert dangling == []


def test_an_enum_query_parameter_refers_to_a_shared_schema(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    params = doc["paths"]["/api/v1/mediators"]["get"]["parameters"]
    kind = next(p for p in params if p["name"] == "type")
    refs = [ref for _, ref in _refs(kind["schema"])]
    assert refs == ["#/components/schemas/MediatorType"]
    assert "lawyer" in doc["components"]["schemas"]["MediatorType"]["enum"]
    # Query models become parameters; they are not left behind as unused schemas.
    assert "DirectoryFilters" not in doc["components"]["schemas"]


def test_request_bodies_forbid_unknown_fields(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert schemas["CodeRequest"]["additionalProperties"] is False
    assert schemas["DeviceEnrolment"]["additionalProperties"] is False


def test_protected_operations_declare_bearer_auth_and_errors(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    devices = paths["/api/v1/devices"]["post"]
    assert devices["security"] == [{"bearer": []}]
    assert {"201", "401", "403", "409", "422"} <= set(devices["responses"])
    assert "security" not in paths["/api/v1/auth/otp"]["post"]
    header_names = [p["name"] for p in devices["parameters"]]
    assert "Idempotency-Key" in header_names


def test_the_docs_page_lists_operations_without_outside_resources(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "/api/v1/devices" in html
    assert "试一试" in html
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html
