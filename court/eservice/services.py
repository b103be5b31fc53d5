"""Serving documents into a recipient's inbox and proving it (R23–R24)."""

from __future__ import annotations

from pyhanko.sign.timestamps.api import TimeStamper
from sqlmodel import Session, col, select

from court.accounts.models import Court
from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import NotFound
from court.eservice.models import CONSENT_TEXT, ConsentGround, ServedDocument
from court.registry.services import issue_sealed
from documents.blobs import FilesystemBlobStore
from documents.sealing import SealingKey
from signing.evidence.store import EvidenceLog


def serve_document(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    *,
    court_id: str,
    recipient_account_id: str,
    kind: str,
    title: str,
    pdf: bytes,
    consent: ConsentGround,
    case_id: str | None = None,
    submission_id: str | None = None,
) -> ServedDocument:
    """Store the PDF, put it in the inbox and log the service, in the caller's transaction."""
    ref = blobs.put_stream([pdf])
    now = utcnow()
    leaf = log.append(
        session,
        "document.served",
        {
            "kind": kind,
            "court": court_id,
            "case": case_id,
            "submission": submission_id,
            "pdf_sha256": ref.sha256,
            "consent": consent.value,
            "time": now.isoformat(),
        },
    )
    served = ServedDocument(
        court_id=court_id,
        recipient_account_id=recipient_account_id,
        case_id=case_id,
        submission_id=submission_id,
        kind=kind,
        title=title,
        pdf_sha256=ref.sha256,
        pdf_size=ref.size,
        consent_ground=consent.value,
        served_at=now,
        log_index=leaf.index,
    )
    session.add(served)
    session.flush()
    record_audit(
        session,
        actor,
        "document.serve",
        "served_document",
        served.id,
        {"kind": kind, "sha256": ref.sha256},
    )
    return served


def inbox(session: Session, account_id: str) -> list[ServedDocument]:
    return list(
        session.exec(
            select(ServedDocument)
            .where(ServedDocument.recipient_account_id == account_id)
            .order_by(col(ServedDocument.served_at).desc())
        )
    )


def served_in_case(session: Session, account_id: str, case_id: str) -> list[ServedDocument]:
    return list(
        session.exec(
            select(ServedDocument)
            .where(
                ServedDocument.recipient_account_id == account_id,
                ServedDocument.case_id == case_id,
            )
            .order_by(col(ServedDocument.served_at))
        )
    )


def own_served(session: Session, account_id: str, served_id: str) -> ServedDocument:
    served = session.get(ServedDocument, served_id)
    if served is None or served.recipient_account_id != account_id:
        raise NotFound({"document": served_id})
    return served


def mark_read(session: Session, actor: Actor, served: ServedDocument) -> None:
    """Record the first opening (R24: a read receipt presumes service)."""
    if served.read_at is None:
        served.read_at = utcnow()
        session.add(served)
        record_audit(session, actor, "document.read", "served_document", served.id)


def consent_text(served: ServedDocument) -> str:
    return CONSENT_TEXT[ConsentGround(served.consent_ground)]


def service_certificate(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    served: ServedDocument,
    *,
    recipient: str,
    seal: SealingKey,
    timestamper: TimeStamper,
    base_url: str,
) -> bytes:
    """The sealed service certificate (R24): issued once per state of the service (before
    and after the recipient read the document), registered, verifiable like any document."""
    shows_read = served.read_at is not None
    if served.certificate_sha256 is None or served.certificate_shows_read != shows_read:
        court = session.get(Court, served.court_id)
        assert court is not None
        document = issue_sealed(
            session,
            blobs,
            log,
            actor,
            court_id=court.id,
            case_id=served.case_id,
            kind="service_certificate",
            title=f"电子送达凭证（{served.title}）",
            template="service_certificate.html",
            context={
                "court_name": court.name,
                "number": None,
                "recipient": recipient,
                "title": served.title,
                "pdf_sha256": served.pdf_sha256,
                "consent_ground": consent_text(served),
                "served_at": served.served_at,
                "read_at": served.read_at,
                "log_index": served.log_index,
                "issued_at": utcnow(),
            },
            base_url=base_url,
            seal=seal,
            timestamper=timestamper,
        )
        served.certificate_sha256 = document.current_sha256
        served.certificate_shows_read = shows_read
        session.add(served)
    assert served.certificate_sha256 is not None
    with blobs.open(served.certificate_sha256) as fh:
        return fh.read()
