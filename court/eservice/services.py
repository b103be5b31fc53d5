"""Serving documents into a recipient's inbox and proving it (R23–R24)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import NotFound
from court.eservice.models import CONSENT_TEXT, ConsentGround, ServedDocument
from documents.blobs import FilesystemBlobStore
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
