"""Declaring API endpoints: one decorator parses, authenticates, runs and documents each.

An endpoint states its body, query and response models and who may call it; the wrapper
refuses bad JSON (400), unknown fields and wrong types (422), missing or bad tokens (401)
and wrong roles (403) before the function runs, applies Idempotency-Key to state-changing
calls, and records the operation for the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError

from court.accounts.principal import Principal, authenticate_request
from court.api.idempotency import run_idempotent
from court.db import db
from court.errors import BadRequest, CourtError, Forbidden, ValidationFailed

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FLASK_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


class UnsupportedMediaType(CourtError):
    status = 415
    code = "unsupported_media_type"
    zh = "请求体必须是 JSON（Content-Type: application/json）。"
    en = "The request body must be JSON (Content-Type: application/json)."


@dataclass(frozen=True)
class Operation:
    """One documented endpoint."""

    method: str
    rule: str
    name: str
    summary: str
    description: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    #: None: public. Otherwise the roles allowed (empty tuple: any signed-in account).
    roles: tuple[str, ...] | None
    idempotent: bool
    errors: tuple[int, ...] = field(default=())
    #: Content type of a non-JSON body the endpoint reads itself (e.g. tus PATCH).
    raw_body: str | None = None
    #: Request headers the endpoint reads, documented as parameters.
    headers: tuple[str, ...] = field(default=())

    @property
    def openapi_path(self) -> str:
        return _FLASK_PARAM.sub(r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return _FLASK_PARAM.findall(self.rule)


def _validation_details(exc: ValidationError) -> dict[str, Any]:
    return {
        "errors": [
            {
                "field": ".".join(str(p) for p in err["loc"]),
                "type": err["type"],
                "message": err["msg"],
            }
            for err in exc.errors(include_url=False, include_input=False)
        ]
    }


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType
    try:
        return model.model_validate_json(request.get_data() or b"")
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise BadRequest(
                {"reason": "malformed JSON"},
                zh="请求体不是有效的 JSON。",
                en="The request body is not valid JSON.",
            ) from exc
        raise ValidationFailed(_validation_details(exc)) from exc


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed(_validation_details(exc)) from exc


def _authorise(roles: tuple[str, ...] | None) -> Principal | None:
    if roles is None:
        return None
    principal = authenticate_request()
    if roles and principal.role not in roles:
        raise Forbidden({"required_roles": list(roles)})
    return principal


def _render(result: Any, op: Operation) -> Response:
    if result is None:
        return Response(status=204)
    if isinstance(result, Response):
        return result
    if op.response is not None and not isinstance(result, op.response):
        result = op.response.model_validate(result)
    assert isinstance(result, BaseModel)
    return Response(result.model_dump_json(), status=op.status, mimetype="application/json")


class ApiBlueprint:
    """The /api/v1 blueprint and the list of its documented operations."""

    def __init__(self, name: str, prefix: str) -> None:
        self.blueprint = Blueprint(name, __name__, url_prefix=prefix)
        self.prefix = prefix
        self.operations: list[Operation] = []
        #: The views declared per URL rule, to turn off Flask's own OPTIONS reply on them.
        self._views: dict[str, list[Callable[..., Any]]] = {}

    def route(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        response: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int = 200,
        roles: Sequence[str] | None = (),
        tags: Sequence[str] = (),
        idempotent: bool | None = None,
        errors: Sequence[int] = (),
        raw_body: str | None = None,
        headers: Sequence[str] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register an endpoint; ``roles=None`` makes it public, ``()`` any signed-in account."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            op = Operation(
                method=method,
                rule=rule,
                name=fn.__name__,
                summary=summary,
                description=(fn.__doc__ or "").strip(),
                tags=tuple(tags),
                body=body,
                query=query,
                response=response,
                status=status,
                roles=tuple(roles) if roles is not None else None,
                idempotent=(method in WRITE_METHODS) if idempotent is None else idempotent,
                errors=tuple(errors),
                raw_body=raw_body,
                headers=tuple(headers),
            )

            @wraps(fn)
            def view(**path_args: Any) -> Response:
                principal = _authorise(op.roles)
                kwargs: dict[str, Any] = dict(path_args)
                if op.query is not None:
                    kwargs["query"] = _parse_query(op.query)
                if op.body is not None:
                    kwargs["body"] = _parse_body(op.body)
                if op.raw_body is not None and request.mimetype != op.raw_body:
                    raise UnsupportedMediaType(
                        {"expected": op.raw_body},
                        zh=f"请求体类型必须是 {op.raw_body}。",
                        en=f"The request body must be {op.raw_body}.",
                    )

                def call() -> Response:
                    return _render(fn(**kwargs), op)

                key = request.headers.get("Idempotency-Key")
                if op.idempotent and key is not None:
                    scope = (
                        principal.account_id
                        if principal is not None
                        else f"anon:{request.remote_addr}"
                    )
                    return run_idempotent(
                        db(),
                        scope=scope,
                        key=key,
                        method=method,
                        path=request.path,
                        body=request.get_data(),
                        call=call,
                    )
                return call()

            self.blueprint.add_url_rule(rule, op.name, view, methods=[method])
            self.operations.append(op)
            self._views.setdefault(rule, []).append(view)
            self._answer_options_explicitly(rule)
            return fn

        return decorate

    def _answer_options_explicitly(self, rule: str) -> None:
        """Stop Flask answering OPTIONS by itself on a rule that declares an OPTIONS operation.

        Flask adds OPTIONS to every other rule with the same path, and the first rule added
        wins, so its empty 200 would shadow the declared operation (e.g. tus discovery). The
        blueprint reads the flag when it is registered, after every endpoint was declared.
        """
        if not any(o.rule == rule and o.method == "OPTIONS" for o in self.operations):
            return
        for view in self._views[rule]:
            view.provide_automatic_options = False  # type: ignore[attr-defined]

    def get(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", rule, **kw)

    def post(self, rule: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", rule, **kw)


def principal() -> Principal:
    """Return the signed-in principal of this API call (the endpoint must not be public)."""
    found: Principal = g.principal
    return found
