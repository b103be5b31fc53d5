"""Public verification API: upload a PDF, or look a document up by its printed code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request

from court import components
from court.api import api
from court.api.models import PublicModel
from court.db import db
from court.errors import CourtError, NotFound
from court.ratelimit import limit_address
from court.verification import services
from documents.short_codes import normalise_short_code

#: Largest PDF accepted for verification.
MAX_PDF_BYTES = 30 * 1024 * 1024


class RevisionPublic(PublicModel):
    number: int
    sha256: str
    reason: str
    log_index: int
    created_at: dt.datetime


class RegisteredDocument(PublicModel):
    title: str
    kind: str
    state: str
    short_code: str
    current_sha256: str
    revisions: list[RevisionPublic]


class VerificationResult(PublicModel):
    #: True only when every signature is TOTAL-PASSED and the file is byte for byte the
    #: revision the court issued last.
    genuine: bool
    sha256: str
    #: The engine's report: per signature, overall indication (ETSI EN 319 102-1), registry.
    report: dict[str, Any]
    document: RegisteredDocument | None
    revision: int | None
    is_latest: bool
    #: The court revoked the document or replaced it by another.
    withdrawn: bool


class NotAPdf(CourtError):
    status = 415
    code = "not_a_pdf"
    zh = "请上传 PDF 文件。"
    en = "Upload a PDF file."


def registered(document: Any) -> RegisteredDocument:
    return RegisteredDocument(
        **document.model_dump(include={"title", "kind", "state", "short_code", "current_sha256"}),
        revisions=[
            RevisionPublic.model_validate(r) for r in services.revisions_of(db(), document.id)
        ],
    )


@api.post(
    "/verify",
    response=VerificationResult,
    roles=None,
    tags=["verification"],
    idempotent=False,
    raw_body="application/pdf",
    errors=[413, 415],
    summary="Verify a court PDF: signatures, time stamps, coverage, and the court's registry",
)
def verify_upload() -> VerificationResult:
    """The body is the PDF itself (Content-Type: application/pdf)."""
    limit_address("verify", components.settings().verify_per_minute)
    request.max_content_length = MAX_PDF_BYTES
    data = request.get_data()
    if not data.startswith(b"%PDF-"):
        raise NotAPdf
    result = services.verify_document_bytes(
        db(), components.pki(), components.evidence_log(), components.log_verifier_key(), data
    )
    return VerificationResult(
        genuine=result.genuine,
        sha256=result.sha256,
        report=result.report.to_json(),
        document=registered(result.document) if result.document else None,
        revision=result.revision.number if result.revision else None,
        is_latest=result.is_latest,
        withdrawn=result.withdrawn,
    )


@api.get(
    "/verify/<code>",
    response=RegisteredDocument,
    roles=None,
    tags=["verification"],
    errors=[404],
    summary="The registered document behind a printed verification code",
)
def verify_code(code: str) -> RegisteredDocument:
    document = services.find_by_code(db(), normalise_short_code(code) or "")
    if document is None:
        raise NotFound(
            {"code": code}, zh="未找到该验证码对应的文书。", en="No document has this code."
        )
    return registered(document)
