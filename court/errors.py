"""The court package's error tree and the one handler that turns errors into responses.

Every error a client can cause is a ``CourtError`` (or a package error mapped below) with a
stable machine code, an HTTP status and a message in Chinese and English. The API answers
``{"error": {"code", "message", "details"}}`` (DESIGN.md §6); staff pages get an error page.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from court.db import commit_request, rollback_request
from hearings.interfaces import MediaUnavailable
from signing import errors as signing_errors

log = logging.getLogger(__name__)


class CourtError(Exception):
    """Base of every error a client can cause in the court application."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    zh: ClassVar[str] = "请求有误。"
    en: ClassVar[str] = "The request is not valid."

    def __init__(
        self,
        details: dict[str, Any] | None = None,
        *,
        zh: str | None = None,
        en: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.details = details or {}
        self.message_zh = zh or self.zh
        self.message_en = en or self.en
        self.headers = headers or {}
        super().__init__(f"{self.code}: {self.message_en}")


class KeepsChanges:
    """Mixin: what this request changed before failing is its outcome and is committed
    (failed-attempt counters; the removal of a refused upload)."""

    keeps_changes = True


class BadRequest(CourtError):
    pass


class ValidationFailed(CourtError):
    status = 422
    code = "validation_failed"
    zh = "提交的数据不符合要求。"
    en = "The submitted data is not valid."


class Unauthenticated(CourtError):
    status = 401
    code = "unauthenticated"
    zh = "请先登录。"
    en = "Authentication is required."


class Forbidden(CourtError):
    status = 403
    code = "forbidden"
    zh = "无权进行此操作。"
    en = "You are not allowed to do this."


class NotFound(CourtError):
    status = 404
    code = "not_found"
    zh = "未找到所请求的资源。"
    en = "The requested resource was not found."


class Conflict(CourtError):
    status = 409
    code = "conflict"
    zh = "请求与当前状态冲突。"
    en = "The request conflicts with the current state."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    zh = "当前状态下不能进行此操作。"
    en = "This action is not allowed in the current state."


class RateLimited(CourtError):
    status = 429
    code = "rate_limited"
    zh = "操作过于频繁，请稍后再试。"
    en = "Too many requests; try again later."

    def __init__(self, retry_after: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(
            {"retry_after": retry_after, **(details or {})},
            headers={"Retry-After": str(retry_after)},
        )


#: Package errors from ``signing`` (which knows nothing of HTTP) mapped to status and texts.
SIGNING_ERRORS: dict[type[signing_errors.SigningError], tuple[int, str, str]] = {
    signing_errors.MalformedCsr: (422, "CSR 格式错误，无法解析。", "The CSR cannot be parsed."),
    signing_errors.UnsupportedKey: (
        422,
        "仅接受 ECDSA P-256 密钥。",
        "Only ECDSA P-256 keys are accepted.",
    ),
    signing_errors.BadCsrSignature: (
        422,
        "CSR 的自签名无效，无法证明持有私钥。",
        "The CSR's self-signature does not verify (no proof of possession).",
    ),
    signing_errors.BadSignature: (
        422,
        "签名验证失败。",
        "The signature does not verify.",
    ),
    signing_errors.CertificateNotUsable: (
        422,
        "证书无效、已过期或已吊销。",
        "The certificate is not valid, has expired or was revoked.",
    ),
}


def wants_english() -> bool:
    return request.accept_languages.best_match(["zh", "en"], default="zh") == "en"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/log/")


def _payload(code: str, zh: str, en: str, details: dict[str, Any]) -> dict[str, Any]:
    message = en if wants_english() else zh
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int,
    code: str,
    zh: str,
    en: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render an error as JSON for the API and as a page for people."""
    details = details or {}
    if wants_json():
        response = jsonify(_payload(code, zh, en, details))
    else:
        english = wants_english()
        html = render_template(
            "error.html",
            status=status,
            code=code,
            message=en if english else zh,
            details=details,
        )
        response = Response(html, mimetype="text/html")
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


#: Texts for the HTTP errors Werkzeug raises itself (routing, size limits, methods).
HTTP_TEXTS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误。", "The request is not valid."),
    404: ("not_found", "未找到所请求的资源。", "The requested resource was not found."),
    405: ("method_not_allowed", "不支持该请求方法。", "This method is not allowed here."),
    413: ("payload_too_large", "提交的内容过大。", "The request body is too large."),
    415: ("unsupported_media_type", "不支持的内容类型。", "Unsupported content type."),
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CourtError)
    def _court_error(exc: CourtError) -> Response:
        if getattr(exc, "keeps_changes", False):
            # Failed-attempt counters and similar are the outcome of this request.
            commit_request()
        else:
            rollback_request()
        return error_response(
            exc.status, exc.code, exc.message_zh, exc.message_en, exc.details, exc.headers
        )

    @app.errorhandler(signing_errors.SigningError)
    def _signing_error(exc: signing_errors.SigningError) -> Response:
        rollback_request()
        status, zh, en = SIGNING_ERRORS.get(type(exc), (422, "签名或证书校验失败。", str(exc)))
        return error_response(status, exc.code, zh, en, {"reason": exc.reason})

    @app.errorhandler(MediaUnavailable)
    def _media_unavailable(exc: MediaUnavailable) -> Response:
        # The hearing's media node is down or failed: nothing this request did is kept, and
        # the party may retry; not their fault, so no 4xx, and no anonymous 500 either.
        rollback_request()
        log.error("media node unavailable on %s %s: %s", request.method, request.path, exc)
        return error_response(
            503,
            "media_unavailable",
            "庭审音视频服务暂时不可用，请稍后重试。",
            "The hearing's audio and video service is unavailable; retry shortly.",
            headers={"Retry-After": "30"},
        )

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Response:
        rollback_request()
        log.info("CSRF check failed on %s: %s", request.path, exc.description)
        return error_response(
            400,
            "csrf_failed",
            "表单已失效或缺少安全令牌，请刷新页面后重试。",
            "The form's security token is missing or expired; reload the page and retry.",
        )

    @app.errorhandler(IntegrityError)
    def _integrity_error(exc: IntegrityError) -> Response:
        # A constraint the services did not foresee (a race, a duplicate): the request
        # changed nothing, and the client may retry; it is not a server fault.
        rollback_request()
        log.warning("integrity error on %s %s: %s", request.method, request.path, exc.orig)
        return error_response(
            409,
            "conflict",
            "数据与现有记录冲突，请刷新后重试。",
            "The request conflicts with existing data; refresh and retry.",
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        rollback_request()
        status = exc.code or 500
        code, zh, en = HTTP_TEXTS.get(status, ("http_error", exc.name, exc.name))
        headers = dict(exc.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        return error_response(status, code, zh, en, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        rollback_request()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "internal_error", "服务器内部错误，请稍后再试。", "Internal server error."
        )
