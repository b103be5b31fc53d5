"""The OpenAPI 3.1 document, built from the declared operations, and its docs page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, render_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from court.api.models import ErrorResponse
from court.api.routing import ApiBlueprint, Operation

SCHEMA_REF = "#/components/schemas/"

_ERROR_TEXT = {
    400: "Malformed request",
    401: "Not signed in, or the token is invalid, expired or revoked",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state, or Idempotency-Key reused with another body",
    415: "Body is not JSON",
    422: "Unknown fields, wrong types or values that break a rule",
    429: "Rate limited; see Retry-After",
    503: "The hearing's media node is unavailable; retry after Retry-After",
}


def build_openapi(api: ApiBlueprint, *, title: str, version: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document for every operation registered on ``api``.

    Query models go through the same schema generation as bodies and responses, so the
    enums and models they use land in components/schemas under the same names, and no
    parameter is left pointing at a ``$defs`` the document does not have.
    """
    models: list[tuple[type[BaseModel], Any]] = [(ErrorResponse, "serialization")]
    for op in api.operations:
        if op.query is not None:
            models.append((op.query, "validation"))
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(models)), ref_template=SCHEMA_REF + "{model}"
    )
    schemas: dict[str, Any] = defs.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in api.operations:
        paths.setdefault(api.prefix + op.openapi_path, {})[op.method.lower()] = _operation(
            op, refs, schemas
        )
    _drop_unreferenced_query_models(api, refs, schemas, paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": (
                "Mini-app API of the mobile micro-court. Errors are "
                '{"error": {"code", "message", "details"}}; messages are Chinese unless '
                "Accept-Language prefers English. State-changing calls honour Idempotency-Key."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _schema_name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).removeprefix(SCHEMA_REF)


def _refs_in(node: Any) -> Iterator[str]:
    """Every ``$ref`` value anywhere in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs_in(item)


def _drop_unreferenced_query_models(
    api: ApiBlueprint,
    refs: dict[Any, Any],
    schemas: dict[str, Any],
    paths: dict[str, Any],
) -> None:
    """Remove the schemas of query models that only became parameters.

    Their properties are spelled out as parameters; the models themselves stay in
    components/schemas only if something else (a body, a response) refers to them.
    """
    names = {_schema_name(refs[(op.query, "validation")]) for op in api.operations if op.query}
    in_paths = set(_refs_in(paths))  # the paths do not change here; the schemas do
    for name in names:
        others = {k: v for k, v in schemas.items() if k != name}
        if SCHEMA_REF + name not in in_paths | set(_refs_in(others)):
            del schemas[name]


def _operation(op: Operation, refs: dict[Any, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": list(op.tags),
        "parameters": _parameters(op, refs, schemas),
        "responses": _responses(op, refs),
    }
    description = op.description
    if op.roles:
        description = (description + f"\n\nRoles: {', '.join(op.roles)}.").strip()
    if description:
        doc["description"] = description
    if op.roles is not None:
        doc["security"] = [{"bearer": []}]
    if op.raw_body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {op.raw_body: {"schema": {"type": "string", "format": "binary"}}},
        }
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    return doc


def _parameters(
    op: Operation, refs: dict[Any, Any], schemas: dict[str, Any]
) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in op.path_params
    ]
    if op.query is not None:
        schema = schemas[_schema_name(refs[(op.query, "validation")])]
        required = set(schema.get("required", []))
        params += [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    params += [
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
        for name in op.headers
    ]
    if op.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "Same key and body: the stored response. Other body: 409.",
            }
        )
    return params


def _error_statuses(op: Operation) -> set[int]:
    statuses = set(op.errors)
    if op.body is not None:
        statuses |= {400, 415, 422}
    if op.raw_body is not None:
        statuses.add(415)
    if op.query is not None:
        statuses.add(422)
    if op.roles is not None:
        statuses.add(401)
    if op.roles:
        statuses.add(403)
    if op.idempotent:
        statuses.add(409)
    return statuses


def _responses(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.response is not None:
        responses[str(op.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
        }
    else:
        responses[str(op.status)] = {"description": "Done"}
    error_ref = refs[(ErrorResponse, "serialization")]
    for status in sorted(_error_statuses(op)):
        responses[str(status)] = {
            "description": _ERROR_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    return responses


def register_openapi(api: ApiBlueprint, *, title: str, version: str) -> None:
    """Serve /openapi.json and a self-contained docs page (no outside scripts or fonts)."""
    cache: dict[str, dict[str, Any]] = {}

    def document() -> dict[str, Any]:
        if "doc" not in cache:
            cache["doc"] = build_openapi(api, title=title, version=version)
        return cache["doc"]

    @api.blueprint.get("/openapi.json")
    def openapi_json() -> Response:
        return jsonify(document())

    @api.blueprint.get("/docs")
    def docs() -> str:
        return render_template("api_docs.html", doc=document())
