"""Court documents for the people who sign them: read, download, sign with the phone."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Annotated

from flask import Response
from pydantic import Field

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel
from court.api.routing import principal
from court.db import db
from court.filing.api import decode_png
from court.identity.services import decode_signature
from court.registry import services
from court.registry.models import CourtDocument


class SignerPublic(PublicModel):
    field: str
    role: str
    name: str
    signed: bool
    me: bool


class DocumentPublic(PublicModel):
    id: str
    kind: str
    title: str
    state: str
    short_code: str
    revision: int
    current_sha256: str
    case_id: str | None
    created_at: dt.datetime
    signers: list[SignerPublic]
    #: The field the caller still has to sign, if any.
    my_field: str | None


class SigningStart(ApiModel):
    device_id: Annotated[str, Field(min_length=1, max_length=64)]
    #: A handwritten signature drawn on the phone (base64 PNG, at most 256 KB): it becomes
    #: the visible appearance of the signature field.
    handwriting_png: Annotated[str | None, Field(max_length=350_000)] = None


class SigningTask(PublicModel):
    """What the phone signs: the DER of the CMS signed attributes (ECDSA P-256, SHA-256)."""

    preparation_id: str
    field: str
    base_revision: int
    #: base64 DER of the signed attributes; sign these bytes with ECDSA and SHA-256 …
    signed_attributes: str
    #: … or, for a keystore that signs digests, sign this SHA-256 of them.
    digest: str
    #: The revision being signed, to show the signer before they sign.
    preview_sha256: str
    expires_at: dt.datetime


class SigningFinish(ApiModel):
    #: base64 of the DER ECDSA signature.
    signature: Annotated[str, Field(min_length=8, max_length=256)]


def document_public(document: CourtDocument, account_id: str) -> DocumentPublic:
    return DocumentPublic(
        **document.model_dump(
            include={
                "id",
                "kind",
                "title",
                "state",
                "short_code",
                "revision",
                "current_sha256",
                "case_id",
                "created_at",
            }
        ),
        signers=[
            SignerPublic(
                field=str(s["field"]),
                role=str(s["role"]),
                name=str(s["name"]),
                signed=s["field"] in document.signed_fields,
                me=s.get("account_id") == account_id,
            )
            for s in document.signers
        ],
        my_field=services.open_field(document, account_id),
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@api.get(
    "/documents/<document_id>",
    response=DocumentPublic,
    roles=LITIGANT_SIDE,
    tags=["documents"],
    errors=[404],
    summary="A court document I am to sign or have signed",
)
def read_document(document_id: str) -> DocumentPublic:
    account = current_account()
    return document_public(services.document_for_party(db(), account.id, document_id), account.id)


@api.get(
    "/documents/<document_id>/pdf",
    roles=LITIGANT_SIDE,
    tags=["documents"],
    errors=[404],
    summary="The latest revision of the document (PDF)",
)
def document_pdf(document_id: str) -> Response:
    document = services.document_for_party(db(), current_account().id, document_id)
    with components.blobs().open(document.current_sha256) as fh:
        return Response(fh.read(), mimetype="application/pdf")


@api.post(
    "/documents/<document_id>/signing",
    body=SigningStart,
    response=SigningTask,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["documents"],
    errors=[403, 404, 409, 422],
    summary="Prepare my signature: get the signed attributes to sign on the phone",
)
def start_signing(document_id: str, body: SigningStart) -> SigningTask:
    """Only the latest preparation of a document counts; an older one is refused on finish."""
    preparation = services.prepare_party_signature(
        db(),
        components.blobs(),
        components.pki(),
        current_account(),
        document_id=document_id,
        device_id=body.device_id,
        handwriting_png=decode_png(body.handwriting_png) if body.handwriting_png else None,
    )
    document = services.document_for_party(db(), current_account().id, document_id)
    return SigningTask(
        preparation_id=preparation.id,
        field=preparation.field_name,
        base_revision=preparation.base_revision,
        signed_attributes=_b64(preparation.signed_attributes),
        digest=_b64(hashlib.sha256(preparation.signed_attributes).digest()),
        preview_sha256=document.current_sha256,
        expires_at=preparation.expires_at,
    )


@api.post(
    "/documents/<document_id>/signing/<preparation_id>",
    body=SigningFinish,
    response=DocumentPublic,
    roles=LITIGANT_SIDE,
    tags=["documents"],
    errors=[403, 404, 409, 422],
    summary="Finish my signature with the phone's ECDSA signature",
)
def finish_signing(document_id: str, preparation_id: str, body: SigningFinish) -> DocumentPublic:
    """The server checks the signature, adds a time stamp and records the new revision; after
    the last signature the court seals the document at once."""
    account = current_account()
    document = services.finish_party_signature(
        db(),
        components.blobs(),
        components.pki(),
        components.evidence_log(),
        components.timestamper(),
        principal().actor(),
        account,
        document_id=document_id,
        preparation_id=preparation_id,
        signature=decode_signature(body.signature),
        seal=components.sealing_key(db()),
    )
    return document_public(document, account.id)
