"""Filing endpoints: open a submission, upload pages resumably (tus 1.0), sign, read."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from flask import Response, request
from pydantic import Field

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel
from court.api.routing import principal
from court.cases.models import Case
from court.db import db
from court.errors import BadRequest, CourtError, NotFound
from court.filing import services, uploads
from court.filing.guidance import submission_next_step
from court.filing.models import Submission, SubmissionKind
from court.identity.services import decode_signature
from court.ratelimit import limit_account
from documents.images import ImageLimits

TUS_VERSION = "1.0.0"
#: The tus 1.0 extensions implemented besides the core protocol.
TUS_EXTENSIONS = "creation,termination"
TUS_HEADERS = ("Tus-Resumable", "Upload-Length", "Upload-Metadata", "Upload-Offset")


class PartyIn(ApiModel):
    role: Literal["plaintiff", "defendant", "third_party", "applicant", "respondent"]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    kind: Literal["natural", "organisation"] = "natural"
    id_number: Annotated[str | None, Field(max_length=18)] = None
    phone: Annotated[str | None, Field(max_length=16)] = None
    address: Annotated[str | None, Field(max_length=200)] = None


class EnforcedDocument(ApiModel):
    """R9: the effective judgment, ruling or mediation document to enforce."""

    type: Literal["judgment", "ruling", "mediation"]
    number: Annotated[str, Field(min_length=5, max_length=60, examples=["(2025)浙0203民初45号"])]
    effective_date: dt.date


class Details(ApiModel):
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)
    claims: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )
    facts: Annotated[str, Field(max_length=20_000)] = ""
    cause_id: int | None = None
    enforced_document: EnforcedDocument | None = None
    #: The e-service address the filer volunteers; with it, consent to e-service (R23).
    e_service_consent: bool = True


class SubmissionOpen(ApiModel):
    kind: SubmissionKind
    case_id: Annotated[str | None, Field(max_length=64)] = None
    corrects_id: Annotated[str | None, Field(max_length=64)] = None
    details: Details = Details()


class PagePublic(PublicModel):
    id: str
    position: int
    original_sha256: str
    original_size: int
    format: str
    width: int
    height: int
    display_width: int
    display_height: int
    captured_at: dt.datetime | None
    uploaded_at: dt.datetime
    warnings: list[dict[str, Any]]


class UploadPublic(PublicModel):
    id: str
    position: int
    length: int
    offset: int
    location: str


class SubmissionPublic(PublicModel):
    id: str
    kind: str
    state: str
    case_id: str | None
    corrects_id: str | None
    details: dict[str, Any]
    created_at: dt.datetime
    signed_at: dt.datetime | None
    manifest_sha256: str | None
    log_index: int | None
    pages: list[PagePublic]
    uploads_in_progress: list[UploadPublic]
    #: While a draft: sign the RFC 8785 canonical JSON of this object plus "time" (RFC 3339).
    manifest_to_sign: dict[str, Any] | None
    challenge_expires_at: dt.datetime | None
    correction_items: list[str] | None
    correction_deadline: dt.date | None
    has_packet: bool
    next_step: NextStepPublic


class NextStepPublic(PublicModel):
    code: str
    zh: str
    en: str
    due: dt.date | None


class SubmissionList(PublicModel):
    items: list[SubmissionPublic]


class SignRequest(ApiModel):
    manifest: dict[str, Any]
    device_id: Annotated[str, Field(min_length=1, max_length=64)]
    signature: Annotated[str, Field(min_length=8, max_length=256)]
    #: A handwritten signature drawn on the phone: base64 of a PNG, at most 256 KB.
    handwriting_png: Annotated[str | None, Field(max_length=350_000)] = None


class ReceiptPublic(PublicModel):
    """Verify offline with `python -m signing.evidence verify` and the log's key."""

    record: str
    leaf_index: int
    checkpoint: str
    inclusion_proof: list[str]


class SignedPublic(PublicModel):
    submission: SubmissionPublic
    receipt: ReceiptPublic
    #: The evidence log's verifier key (C2SP note format), also at /pki/log-checkpoint.vkey.
    log_key: str


def _location(upload_id: str) -> str:
    return f"{api.prefix}/uploads/{upload_id}"


def submission_public(submission: Submission) -> SubmissionPublic:
    session = db()
    draft = submission.state == "draft"
    case = session.get(Case, submission.case_id) if submission.case_id else None
    return SubmissionPublic(
        **submission.model_dump(
            include={
                "id",
                "kind",
                "state",
                "case_id",
                "corrects_id",
                "details",
                "created_at",
                "signed_at",
                "manifest_sha256",
                "log_index",
            }
        ),
        pages=[PagePublic.model_validate(p) for p in services.pages_of(session, submission.id)],
        uploads_in_progress=[
            UploadPublic(
                id=u.id,
                position=u.position,
                length=u.length,
                offset=u.offset,
                location=_location(u.id),
            )
            for u in services.open_uploads(session, submission.id)
        ],
        manifest_to_sign=services.expected_manifest(session, submission) if draft else None,
        challenge_expires_at=submission.challenge_expires_at if draft else None,
        correction_items=submission.correction_items,
        correction_deadline=submission.correction_deadline,
        has_packet=submission.packet_sha256 is not None,
        next_step=NextStepPublic(
            **submission_next_step(
                submission.state,
                review_period_start=submission.review_period_start,
                correction_deadline=submission.correction_deadline,
                case_number=case.case_number if case else None,
            ).__dict__
        ),
    )


@api.post(
    "/submissions",
    body=SubmissionOpen,
    response=SubmissionPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["filing"],
    errors=[403, 404, 409],
    summary="Open a submission (complaint, withdrawal, enforcement, evidence, correction)",
)
def open_submission(body: SubmissionOpen) -> SubmissionPublic:
    """Returns the id and the manifest to sign, with its single-use, expiring challenge."""
    settings = components.settings()
    from court.accounts.services import get_court_by_code

    court = get_court_by_code(db(), settings.court_code)
    submission = services.open_submission(
        db(),
        principal().actor(),
        current_account(),
        court_id=court.id,
        kind=body.kind,
        case_id=body.case_id,
        corrects_id=body.corrects_id,
        details=body.details.model_dump(mode="json"),
    )
    return submission_public(submission)


@api.get(
    "/submissions",
    response=SubmissionList,
    roles=LITIGANT_SIDE,
    tags=["filing"],
    summary="My submissions",
)
def my_submissions() -> SubmissionList:
    from sqlmodel import col, select

    rows = db().exec(
        select(Submission)
        .where(Submission.account_id == current_account().id)
        .order_by(col(Submission.created_at).desc())
    )
    return SubmissionList(items=[submission_public(s) for s in rows])


@api.get(
    "/submissions/<submission_id>",
    response=SubmissionPublic,
    roles=LITIGANT_SIDE,
    tags=["filing"],
    errors=[404],
    summary="A submission with its pages and quality warnings",
)
def read_submission(submission_id: str) -> SubmissionPublic:
    return submission_public(services.own_submission(db(), current_account().id, submission_id))


@api.post(
    "/submissions/<submission_id>/challenge",
    response=SubmissionPublic,
    roles=LITIGANT_SIDE,
    tags=["filing"],
    errors=[404, 409],
    summary="Renew the signing challenge of a draft",
)
def renew_challenge(submission_id: str) -> SubmissionPublic:
    return submission_public(services.renew_challenge(db(), current_account().id, submission_id))


@api.get(
    "/submissions/<submission_id>/packet",
    roles=LITIGANT_SIDE,
    tags=["filing"],
    errors=[404],
    summary="The sealed filing packet (PDF) of a registered submission",
)
def filing_packet(submission_id: str) -> Response:
    submission = services.own_submission(db(), current_account().id, submission_id)
    if submission.packet_sha256 is None:
        raise NotFound({"packet": submission_id}, zh="该申请尚无立案材料卷。", en="No packet yet.")
    with components.blobs().open(submission.packet_sha256) as fh:
        data = fh.read()
    return Response(data, mimetype="application/pdf")


# -- tus 1.0 ------------------------------------------------------------------------------


class TusPreconditionFailed(CourtError):
    status = 412
    code = "tus_version_unsupported"
    zh = "不支持的 tus 协议版本。"
    en = "Unsupported tus version; use Tus-Resumable: 1.0.0."


def _tus_response(status: int, headers: dict[str, str] | None = None) -> Response:
    response = Response(status=status)
    response.headers["Tus-Resumable"] = TUS_VERSION
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusPreconditionFailed(headers={"Tus-Version": TUS_VERSION})


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise BadRequest(
            {"header": name},
            zh=f"缺少或无效的 {name} 头。",
            en=f"Missing or invalid {name} header.",
        )
    return int(raw)


def _metadata() -> dict[str, str]:
    """tus Upload-Metadata: comma-separated "key base64value" pairs."""
    found: dict[str, str] = {}
    for pair in filter(
        None, (p.strip() for p in request.headers.get("Upload-Metadata", "").split(","))
    ):
        key, _, value = pair.partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise BadRequest({"header": "Upload-Metadata", "key": key}) from exc
    return found


def _folder() -> Any:
    return components.settings().instance_path / "uploads"


def _tus_discovery() -> Response:
    """tus 1.0 OPTIONS: the versions (MUST), the extensions supported and the largest page
    accepted, which is the limit creation and PATCH enforce."""
    return _tus_response(
        204,
        {
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(components.settings().page_max_bytes),
        },
    )


@api.route(
    "OPTIONS",
    "/uploads",
    roles=None,
    tags=["filing"],
    idempotent=False,
    summary="tus discovery: version, extensions and maximum size",
)
def tus_options() -> Response:
    return _tus_discovery()


@api.route(
    "OPTIONS",
    "/submissions/<submission_id>/pages",
    roles=None,
    tags=["filing"],
    idempotent=False,
    summary="tus discovery at the creation URL: version, extensions and maximum size",
)
def tus_options_for_pages(submission_id: str) -> Response:
    """The same answer for every submission: discovery says nothing about any one of them."""
    return _tus_discovery()


@api.route(
    "OPTIONS",
    "/uploads/<upload_id>",
    roles=None,
    tags=["filing"],
    idempotent=False,
    summary="tus discovery at an upload URL: version, extensions and maximum size",
)
def tus_options_for_upload(upload_id: str) -> Response:
    """The same answer for every upload: discovery says nothing about any one of them."""
    return _tus_discovery()


@api.post(
    "/submissions/<submission_id>/pages",
    response=UploadPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["filing"],
    idempotent=True,
    headers=TUS_HEADERS,
    errors=[404, 409, 412, 413, 422],
    summary="tus creation: start uploading a page (Upload-Length, Upload-Metadata sha256)",
)
def create_page_upload(submission_id: str) -> Response:
    """Upload-Metadata must carry ``sha256`` (base64 of the 64 lowercase hex digits of the
    page's SHA-256) and may carry ``device``. Pages keep the order their uploads were created.
    """
    _require_tus()
    settings = components.settings()
    limit_account("upload", current_account().id, settings.uploads_per_minute)
    meta = _metadata()
    upload = uploads.create_upload(
        db(),
        principal().actor(),
        current_account(),
        submission_id=submission_id,
        length=_int_header("Upload-Length"),
        declared_sha256=meta.get("sha256", ""),
        client_device=meta.get("device"),
        max_bytes=settings.page_max_bytes,
        max_pages=settings.max_pages,
        folder=_folder(),
    )
    body = UploadPublic(
        id=upload.id,
        position=upload.position,
        length=upload.length,
        offset=0,
        location=_location(upload.id),
    )
    response = Response(body.model_dump_json(), status=201, mimetype="application/json")
    response.headers["Location"] = _location(upload.id)
    response.headers["Tus-Resumable"] = TUS_VERSION
    return response


@api.route(
    "HEAD",
    "/uploads/<upload_id>",
    roles=LITIGANT_SIDE,
    tags=["filing"],
    idempotent=False,
    headers=("Tus-Resumable",),
    errors=[404, 412],
    summary="tus: how much of the page arrived",
)
def upload_offset(upload_id: str) -> Response:
    _require_tus()
    upload = uploads.own_upload(db(), current_account().id, upload_id)
    return _tus_response(
        200, {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length)}
    )


def _request_chunks() -> Iterator[bytes]:
    while chunk := request.stream.read(uploads.CHUNK):
        yield chunk


@api.route(
    "PATCH",
    "/uploads/<upload_id>",
    roles=LITIGANT_SIDE,
    tags=["filing"],
    idempotent=False,
    raw_body="application/offset+octet-stream",
    headers=("Tus-Resumable", "Upload-Offset"),
    errors=[404, 409, 412, 413, 422],
    summary="tus: append bytes at Upload-Offset; the last chunk turns them into a page",
)
def upload_chunk(upload_id: str) -> Response:
    """When the page is complete its SHA-256 must equal the declared one, and its content
    must be a JPEG, PNG, HEIC/HEIF or WebP photo within the limits; otherwise 422 and the
    upload is gone."""
    _require_tus()
    settings = components.settings()
    limit_account("upload", current_account().id, settings.uploads_per_minute)
    request.max_content_length = settings.page_max_bytes
    session = db()
    upload = uploads.own_upload(session, current_account().id, upload_id, lock=True)
    offset = uploads.append_chunk(
        session,
        upload,
        offset=_int_header("Upload-Offset"),
        chunks=_request_chunks(),
        folder=_folder(),
    )
    headers = {"Upload-Offset": str(offset)}
    if offset == upload.length:
        page = uploads.complete_upload(
            session,
            principal().actor(),
            upload,
            folder=_folder(),
            blobs=components.blobs(),
            limits=ImageLimits(
                max_bytes=settings.page_max_bytes, max_pixels=settings.page_max_pixels
            ),
        )
        headers["Page-Id"] = page.id
    return _tus_response(204, headers)


@api.route(
    "DELETE",
    "/uploads/<upload_id>",
    roles=LITIGANT_SIDE,
    tags=["filing"],
    idempotent=False,
    headers=("Tus-Resumable",),
    errors=[404, 409, 412],
    summary="tus termination: drop an unfinished upload or a page of a draft",
)
def terminate_upload(upload_id: str) -> Response:
    _require_tus()
    uploads.terminate_upload(
        db(), principal().actor(), current_account(), upload_id, folder=_folder()
    )
    return _tus_response(204)


# -- signing ------------------------------------------------------------------------------


@api.post(
    "/submissions/<submission_id>/sign",
    body=SignRequest,
    response=SignedPublic,
    roles=LITIGANT_SIDE,
    tags=["filing"],
    errors=[404, 409, 422],
    summary="Sign the manifest with the enrolled device key; get the log receipt",
)
def sign(submission_id: str, body: SignRequest) -> SignedPublic:
    """Verifies before anything changes: the manifest must list exactly the uploaded pages in
    order with this kind, case, details hash and challenge; the signature (ECDSA P-256, DER,
    base64) must verify with a valid, unrevoked certificate of the signer."""
    session = db()
    handwriting = None
    if body.handwriting_png:
        handwriting = _store_handwriting(body.handwriting_png)
    log = components.evidence_log()
    account = current_account()
    result = services.sign_submission(
        session,
        components.pki(),
        log,
        principal().actor(body.device_id),
        account,
        submission_id=submission_id,
        manifest=body.manifest,
        device_id=body.device_id,
        signature=decode_signature(body.signature),
        handwriting_sha256=handwriting,
        actor_pseudonym=services.pseudonym(components.log_actor_key(), account.id),
    )
    receipt = log.receipt(session, result.leaf.index)
    return SignedPublic(
        submission=submission_public(result.submission),
        receipt=ReceiptPublic(**receipt.to_json()),
        log_key=components.log_verifier_key(),
    )


def decode_png(value: str) -> bytes:
    """Decode a handwritten signature: base64 of a PNG of at most 256 KB, or 400."""
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise BadRequest({"field": "handwriting_png"}) from exc
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) > 256 * 1024:
        raise BadRequest(
            {"field": "handwriting_png"},
            zh="手写签名必须是不超过 256 KB 的 PNG 图片。",
            en="The handwritten signature must be a PNG of at most 256 KB.",
        )
    return data


def _store_handwriting(value: str) -> str:
    return components.blobs().put_stream([decode_png(value)]).sha256
