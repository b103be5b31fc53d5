"""Issuing court documents, collecting phone signatures, and sealing last (R14)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pyhanko.sign.timestamps.api import TimeStamper
from sqlmodel import Session, col, select, update

from court.accounts.models import Account, Court
from court.audit import Actor, record_audit
from court.db import utcnow
from court.devices.services import get_own_device, usable_certificate
from court.registry.errors import (
    DocumentNotFound,
    InPersonSigningOnly,
    NotASigner,
    NotForInPersonSigning,
    NotReadyToSeal,
    StalePreparation,
)
from court.registry.models import (
    DOCUMENT_MOVES,
    SEAL_FIELD,
    CourtDocument,
    DocumentRevision,
    DocumentState,
    SigningPreparation,
    WetInkScan,
)
from documents.blobs import FilesystemBlobStore
from documents.remote_signing import Preparation, finish_signature, prepare_signature
from documents.rendering import render_document, render_pdf
from documents.seal_image import ensure_seal_image
from documents.sealing import SealingKey, seal_pdf, sign_with_held_key
from documents.short_codes import new_short_code
from signing.evidence.store import EvidenceLog
from signing.pki import EVENT_CA, ROOT, CourtPKI

PREPARATION_TTL = dt.timedelta(minutes=15)

#: Sent (with ``session``, ``actor`` and ``field``) after each signature is recorded, in the
#: same transaction, so that the business that issued the document can react: a mediation
#: agreement takes effect at the last party's signature (R14).
document_signed = Namespace().signal("document-signed")


@dataclass(frozen=True)
class DocumentTools:
    """What issuing, signing and sealing court documents needs besides the database."""

    blobs: FilesystemBlobStore
    log: EvidenceLog
    seal: SealingKey
    timestamper: TimeStamper
    #: The public URL documents' QR codes point at.
    base_url: str


def parties_have_signed(document: CourtDocument) -> bool:
    """Whether every party (every signer who is not staff) has signed."""
    return all(
        _is_staff_field(s) or str(s["field"]) in document.signed_fields for s in document.signers
    )


@dataclass(frozen=True)
class FieldPlacement:
    """Where a signer's field goes: from the template's signature box."""

    name: str
    page: int
    box: tuple[float, float, float, float]


def with_signature_fields(pdf: bytes, fields: Sequence[FieldPlacement]) -> bytes:
    """Add an empty signature field for each signer (and the seal) at its box."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for spec in fields:
        box = (round(spec.box[0]), round(spec.box[1]), round(spec.box[2]), round(spec.box[3]))
        append_signature_field(writer, SigFieldSpec(spec.name, box=box, on_page=spec.page))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _record_revision(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    document: CourtDocument,
    pdf: bytes,
    *,
    reason: str,
    account_id: str | None,
) -> DocumentRevision:
    ref = blobs.put_stream([pdf])
    number = document.revision + 1 if reason != "issued" else 1
    leaf = log.append(
        session,
        "document.revision",
        {
            "document": document.id,
            "kind": document.kind,
            "revision": number,
            "reason": reason,
            "sha256": ref.sha256,
            "time": utcnow().isoformat(),
        },
    )
    revision = DocumentRevision(
        document_id=document.id,
        number=number,
        sha256=ref.sha256,
        size=ref.size,
        reason=reason,
        account_id=account_id,
        log_index=leaf.index,
        created_at=utcnow(),
    )
    session.add(revision)
    document.revision = number
    document.current_sha256 = ref.sha256
    session.add(document)
    session.flush()
    return revision


def _new_document(
    session: Session,
    actor: Actor,
    *,
    court_id: str,
    case_id: str | None,
    kind: str,
    title: str,
    short_code: str,
    signers: Sequence[dict[str, Any]],
) -> CourtDocument:
    """A registry entry in its first state; its first revision is recorded next."""
    document = CourtDocument(
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        title=title,
        state=DocumentState.DRAFT.value,
        short_code=short_code,
        current_sha256="0" * 64,
        revision=0,
        signers=list(signers),
        created_at=utcnow(),
    )
    DOCUMENT_MOVES.start(session, document, DocumentState.DRAFT, actor, "rendered")
    session.flush()
    return document


def issue_document(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    *,
    court_id: str,
    case_id: str | None,
    kind: str,
    title: str,
    pdf: bytes,
    fields: Sequence[FieldPlacement],
    signers: Sequence[dict[str, Any]],
    short_code: str | None = None,
    in_person: bool = False,
) -> CourtDocument:
    """Register a rendered document with its signature fields as revision 1.

    ``in_person`` (R15) marks a document that is signed on paper, never online.
    """
    document = _new_document(
        session,
        actor,
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        title=title,
        short_code=short_code or new_short_code(),
        signers=signers,
    )
    document.in_person = in_person
    _record_revision(
        session,
        blobs,
        log,
        document,
        with_signature_fields(pdf, fields),
        reason="issued",
        account_id=actor.account_id,
    )
    DOCUMENT_MOVES.move(
        session, document, DocumentState.AWAITING_SIGNATURES, actor, "issued for signing"
    )
    record_audit(session, actor, "document.issue", "court_document", document.id, {"kind": kind})
    return document


def issue_rendered(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    *,
    court_id: str,
    case_id: str | None,
    kind: str,
    title: str,
    template: str,
    context: dict[str, Any],
    signers: Sequence[dict[str, Any]],
    base_url: str,
    in_person: bool = False,
) -> CourtDocument:
    """Render a template with its signature boxes, QR code and short code, then issue it.

    Each signer's field goes where the template drew their box; the court seal's box is
    kept for the seal, which is applied last.
    """
    short_code = new_short_code()
    rendered = render_document(
        template,
        {
            **context,
            "signers": [
                *({"field": s["field"], "role": s["role"], "name": s["name"]} for s in signers),
                {"field": SEAL_FIELD, "role": "法院印章", "name": ""},
            ],
            "short_code": short_code,
            "verify_url": f"{base_url}/verify/{short_code}",
        },
    )
    boxes = {f.name: f for f in rendered.fields}
    seal = boxes.pop(SEAL_FIELD)
    document = issue_document(
        session,
        blobs,
        log,
        actor,
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        title=title,
        pdf=rendered.pdf,
        fields=[FieldPlacement(f.name, f.page_index, f.box) for f in boxes.values()],
        signers=signers,
        short_code=short_code,
        in_person=in_person,
    )
    document.seal_box = [seal.page_index, *seal.box]
    session.add(document)
    return document


def issue_sealed(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    *,
    court_id: str,
    case_id: str | None,
    kind: str,
    title: str,
    template: str,
    context: dict[str, Any],
    base_url: str,
    seal: SealingKey,
    timestamper: TimeStamper,
) -> CourtDocument:
    """Render, seal and register a document nobody else signs (a notice, a filing packet),
    with its QR code and short code, so that anyone can verify it like any other."""
    short_code = new_short_code()
    pdf = render_pdf(
        template,
        {**context, "short_code": short_code, "verify_url": f"{base_url}/verify/{short_code}"},
    )
    sealed = seal_pdf(
        pdf,
        seal,
        timestamper,
        field_name=SEAL_FIELD,
        reason="法院电子印章",
        lock_fields=True,
        archive_timestamp=True,
    )
    document = _new_document(
        session,
        actor,
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        title=title,
        short_code=short_code,
        signers=(),
    )
    _record_revision(
        session, blobs, log, document, sealed, reason="sealed", account_id=actor.account_id
    )
    DOCUMENT_MOVES.move(session, document, DocumentState.SEALED, actor, "sealed by the court")
    record_audit(
        session, actor, "document.issue_sealed", "court_document", document.id, {"kind": kind}
    )
    return document


def document_for_party(
    session: Session, account_id: str, document_id: str, *, lock: bool = False
) -> CourtDocument:
    """A document the account is a signer of; anyone else's is not found."""
    query = select(CourtDocument).where(CourtDocument.id == document_id)
    if lock:
        query = query.with_for_update()
    document = session.exec(query).first()
    if document is None or not any(s.get("account_id") == account_id for s in document.signers):
        raise DocumentNotFound({"document": document_id})
    return document


def documents_to_sign_in_case(
    session: Session, account_id: str, case_id: str
) -> list[CourtDocument]:
    """The case's documents with a signature field of the account's (as ``document_for_party``
    reads them), oldest first."""
    documents = session.exec(
        select(CourtDocument)
        .where(CourtDocument.case_id == case_id)
        .order_by(col(CourtDocument.created_at))
    )
    return [d for d in documents if any(s.get("account_id") == account_id for s in d.signers)]


def open_field(document: CourtDocument, account_id: str) -> str | None:
    """The field this account still has to sign on the document, if any."""
    for signer in document.signers:
        field = str(signer["field"])
        if signer.get("account_id") == account_id and field not in document.signed_fields:
            return field
    return None


def _refuse_in_person(document: CourtDocument) -> None:
    if document.in_person:
        raise InPersonSigningOnly({"rule": "R15", "document": document.id})


def record_wet_ink_signing(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    clerk: Account,
    *,
    document_id: str,
    scan: bytes,
    media_type: str,
) -> WetInkScan:
    """R15: the parties signed the printed document in person; keep the scan, log its hash,
    and mark every field signed. The issued PDF is not altered."""
    document = session.exec(
        select(CourtDocument).where(CourtDocument.id == document_id).with_for_update()
    ).first()
    if document is None or document.court_id != clerk.court_id:
        raise DocumentNotFound({"document": document_id})
    if not document.in_person or document.state != DocumentState.AWAITING_SIGNATURES:
        raise NotForInPersonSigning({"state": document.state, "in_person": document.in_person})
    ref = blobs.put_stream([scan])
    leaf = log.append(
        session,
        "document.wet_ink",
        {
            "document": document.id,
            "revision": document.revision,
            "document_sha256": document.current_sha256,
            "scan_sha256": ref.sha256,
            "time": utcnow().isoformat(),
        },
    )
    record = WetInkScan(
        document_id=document.id,
        sha256=ref.sha256,
        size=ref.size,
        media_type=media_type,
        account_id=clerk.id,
        log_index=leaf.index,
        created_at=utcnow(),
    )
    session.add(record)
    document.signed_fields = [str(s["field"]) for s in document.signers]
    session.add(document)
    DOCUMENT_MOVES.move(
        session, document, DocumentState.SIGNED, actor, "signed in person (R15); scan recorded"
    )
    session.flush()
    document_signed.send(document, session=session, actor=actor, field="*")
    record_audit(
        session, actor, "document.wet_ink", "court_document", document.id, {"scan": ref.sha256}
    )
    return record


def _my_open_field(document: CourtDocument, account_id: str) -> str:
    field = open_field(document, account_id)
    if field is None:
        raise NotASigner({"document": document.id})
    return field


def prepare_party_signature(
    session: Session,
    blobs: FilesystemBlobStore,
    pki: CourtPKI,
    account: Account,
    *,
    document_id: str,
    device_id: str,
    handwriting_png: bytes | None = None,
) -> SigningPreparation:
    """Prepare the account's signature over the latest revision; older preparations lapse."""
    document = document_for_party(session, account.id, document_id, lock=True)
    _refuse_in_person(document)
    if document.state != DocumentState.AWAITING_SIGNATURES:
        raise NotASigner({"state": document.state})
    field = _my_open_field(document, account.id)
    device = get_own_device(session, account.id, device_id)
    certificate = usable_certificate(session, pki, device)
    with blobs.open(document.current_sha256) as fh:
        current = fh.read()
    prepared = prepare_signature(
        current,
        field_name=field,
        certificate=certificate,
        chain=_chain(pki),
        reason="当事人电子签名",
        handwriting_png=handwriting_png,
    )
    now = utcnow()
    # Only one preparation per document is live.
    session.exec(
        update(SigningPreparation)
        .where(
            col(SigningPreparation.document_id) == document.id,
            col(SigningPreparation.used_at).is_(None),
        )
        .values(expires_at=now)
    )
    preparation = SigningPreparation(
        document_id=document.id,
        base_revision=document.revision,
        field_name=field,
        account_id=account.id,
        device_id=device.id,
        prepared_sha256=blobs.put_stream([prepared.prepared_pdf]).sha256,
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_start,
        reserved_end=prepared.reserved_end,
        signed_attributes=prepared.signed_attributes,
        created_at=now,
        expires_at=now + PREPARATION_TTL,
    )
    session.add(preparation)
    session.flush()
    return preparation


def _chain(pki: CourtPKI) -> list[x509.Certificate]:
    return [pki.certificate(EVENT_CA), pki.certificate(ROOT)]


def finish_party_signature(
    session: Session,
    blobs: FilesystemBlobStore,
    pki: CourtPKI,
    log: EvidenceLog,
    timestamper: TimeStamper,
    actor: Actor,
    account: Account,
    *,
    document_id: str,
    preparation_id: str,
    signature: bytes,
    seal: SealingKey | None = None,
) -> CourtDocument:
    """Embed the phone's signature if its preparation is still the live one (never rewrite)."""
    document = document_for_party(session, account.id, document_id, lock=True)
    _refuse_in_person(document)
    preparation = session.get(SigningPreparation, preparation_id)
    now = utcnow()
    if (
        preparation is None
        or preparation.document_id != document.id
        or preparation.account_id != account.id
        or preparation.used_at is not None
        or preparation.expires_at <= now
        or preparation.base_revision != document.revision
        or preparation.field_name in document.signed_fields
    ):
        raise StalePreparation({"current_revision": document.revision})
    device = get_own_device(session, account.id, preparation.device_id)
    certificate = usable_certificate(session, pki, device, at=now)
    with blobs.open(preparation.prepared_sha256) as fh:
        prepared_pdf = fh.read()
    signed = finish_signature(
        Preparation(
            prepared_pdf=prepared_pdf,
            document_digest=preparation.document_digest,
            reserved_start=preparation.reserved_start,
            reserved_end=preparation.reserved_end,
            signed_attributes=preparation.signed_attributes,
            field_name=preparation.field_name,
        ),
        signature,
        certificate=certificate,
        chain=_chain(pki),
        timestamper=timestamper,
    )
    preparation.used_at = now
    session.add(preparation)
    _record_revision(
        session,
        blobs,
        log,
        document,
        signed,
        reason=f"signed:{preparation.field_name}",
        account_id=account.id,
    )
    document.signed_fields = [*document.signed_fields, preparation.field_name]
    session.add(document)
    document_signed.send(document, session=session, actor=actor, field=preparation.field_name)
    _complete_if_signed(session, blobs, log, actor, document, seal, timestamper)
    record_audit(
        session,
        actor,
        "document.sign",
        "court_document",
        document.id,
        {
            "field": preparation.field_name,
            "device": device.id,
            "sha256": hashlib.sha256(signed).hexdigest(),
        },
    )
    return document


def _is_staff_field(signer: dict[str, Any]) -> bool:
    return signer.get("kind") == "staff"


def sign_as_staff(
    session: Session,
    blobs: FilesystemBlobStore,
    pki: CourtPKI,
    log: EvidenceLog,
    timestamper: TimeStamper,
    actor: Actor,
    staff: Account,
    *,
    document_id: str,
    title: str,
    seal: SealingKey | None = None,
) -> CourtDocument:
    """Sign a staff member's field with the key the court holds for them.

    Parties sign first, the mediator or judge next (DESIGN.md §4): a staff field waits until
    every party field is signed. The caller has confirmed the password just before.
    """
    document = session.exec(
        select(CourtDocument).where(CourtDocument.id == document_id).with_for_update()
    ).first()
    if document is None or document.court_id != staff.court_id:
        raise DocumentNotFound({"document": document_id})
    _refuse_in_person(document)
    field = open_field(document, staff.id)
    if field is None or document.state != DocumentState.AWAITING_SIGNATURES:
        raise NotASigner({"document": document_id})
    waiting = [
        str(s["field"])
        for s in document.signers
        if not _is_staff_field(s) and s["field"] not in document.signed_fields
    ]
    if waiting:
        raise NotReadyToSeal(
            {"waiting_for": waiting},
            zh="当事人尚未全部签署，调解员或法官应在其后签署。",
            en="Every party signs before the mediator or judge.",
        )
    key, certificate = pki.staff_signing_key(staff.id, staff.display_name, title)
    with blobs.open(document.current_sha256) as fh:
        current = fh.read()
    signed = sign_with_held_key(
        current,
        key=key,
        certificate=certificate,
        chain=_chain(pki),
        field_name=field,
        reason=f"{title}签名",
        timestamper=timestamper,
    )
    _record_revision(
        session, blobs, log, document, signed, reason=f"signed:{field}", account_id=staff.id
    )
    document.signed_fields = [*document.signed_fields, field]
    session.add(document)
    document_signed.send(document, session=session, actor=actor, field=field)
    _complete_if_signed(session, blobs, log, actor, document, seal, timestamper)
    record_audit(session, actor, "document.sign", "court_document", document.id, {"field": field})
    return document


def _complete_if_signed(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    document: CourtDocument,
    seal: SealingKey | None,
    timestamper: TimeStamper,
) -> None:
    """At the last signature the document is signed (R14: it takes effect) and, when a seal
    is given, the court seals it at once."""
    if not all(str(s["field"]) in document.signed_fields for s in document.signers):
        return
    DOCUMENT_MOVES.move(session, document, DocumentState.SIGNED, actor, "every signer has signed")
    if seal is not None:
        _apply_seal(session, blobs, log, actor, document, seal, timestamper)


def _court_name(session: Session, document: CourtDocument) -> str:
    court = session.get(Court, document.court_id)
    assert court is not None
    return court.name


def _apply_seal(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    document: CourtDocument,
    seal: SealingKey,
    timestamper: TimeStamper,
) -> None:
    with blobs.open(document.current_sha256) as fh:
        current = fh.read()
    placement: dict[str, Any] = {}
    if document.seal_box:
        page, x1, y1, x2, y2 = document.seal_box
        placement = {
            "box": (round(x1), round(y1), round(x2), round(y2)),
            "page": int(page),
            "appearance": ensure_seal_image(_court_name(session, document)),
        }
    sealed = seal_pdf(
        current,
        seal,
        timestamper,
        field_name=SEAL_FIELD,
        reason="法院电子印章",
        lock_fields=True,
        archive_timestamp=True,
        **placement,
    )
    _record_revision(
        session, blobs, log, document, sealed, reason="sealed", account_id=actor.account_id
    )
    DOCUMENT_MOVES.move(session, document, DocumentState.SEALED, actor, "sealed by the court")
    record_audit(session, actor, "document.seal", "court_document", document.id)


def seal_document(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    document_id: str,
    *,
    seal: SealingKey,
    timestamper: TimeStamper,
) -> CourtDocument:
    """Seal last: the court's approval signature with validation data and a time stamp."""
    document = session.exec(
        select(CourtDocument).where(CourtDocument.id == document_id).with_for_update()
    ).first()
    if document is None:
        raise DocumentNotFound({"document": document_id})
    if document.state != DocumentState.SIGNED:
        raise NotReadyToSeal({"state": document.state})
    _apply_seal(session, blobs, log, actor, document, seal, timestamper)
    return document


def withdraw_document(
    session: Session,
    log: EvidenceLog,
    actor: Actor,
    document_id: str,
    *,
    court_id: str,
    to: DocumentState,
    reason: str,
    replaced_by: str | None = None,
) -> CourtDocument:
    """Revoke a document, or mark it superseded by a new one (changed terms are a new
    document that everyone signs again; the old one is never altered)."""
    if to not in (DocumentState.REVOKED, DocumentState.SUPERSEDED):
        raise ValueError(to)
    document = session.exec(
        select(CourtDocument).where(CourtDocument.id == document_id).with_for_update()
    ).first()
    if document is None or document.court_id != court_id:
        raise DocumentNotFound({"document": document_id})
    DOCUMENT_MOVES.move(session, document, to, actor, reason)
    log.append(
        session,
        f"document.{to.value}",
        {
            "document": document.id,
            "replaced_by": replaced_by,
            "reason": reason,
            "time": utcnow().isoformat(),
        },
    )
    record_audit(
        session,
        actor,
        f"document.{to.value}",
        "court_document",
        document.id,
        {"reason": reason, "replaced_by": replaced_by},
    )
    return document


def revision_by_hash(
    session: Session, sha256: str
) -> tuple[CourtDocument, DocumentRevision] | None:
    row = session.exec(
        select(CourtDocument, DocumentRevision)
        .join(DocumentRevision, col(DocumentRevision.document_id) == CourtDocument.id)
        .where(DocumentRevision.sha256 == sha256)
    ).first()
    return (row[0], row[1]) if row else None


def document_by_code(session: Session, short_code: str) -> CourtDocument | None:
    return session.exec(select(CourtDocument).where(CourtDocument.short_code == short_code)).first()
