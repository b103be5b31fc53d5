"""The OpenAPI document covers every API route and describes it truthfully."""

from __future__ import annotations

import re

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
