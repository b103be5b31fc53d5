"""One verification engine (documents.verify) fed with what the court knows: its roots, its
current CRLs, the document's expected signers, and the registry with the log's proof."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlmodel import Session, col, select

from court.devices.services import current_crls
from court.registry.models import SEAL_FIELD, CourtDocument, DocumentRevision
from court.registry.services import document_by_code, revision_by_hash
from documents.verify import ExpectedSigner, RegistryEvidence, VerificationReport, verify_pdf
from signing.evidence.models import LogLeaf
from signing.evidence.store import EvidenceLog
from signing.pki import ROOT, CourtPKI


@dataclass(frozen=True)
class Verification:
    """The engine's report plus what the registry says about these exact bytes."""

    report: VerificationReport
    sha256: str
    document: CourtDocument | None
    #: The revision these bytes are, if the court issued them.
    revision: DocumentRevision | None
    #: Whether these bytes are the document's latest revision (the one in force).
    is_latest: bool

    @property
    def withdrawn(self) -> bool:
        """The court revoked the document or replaced it by another."""
        return self.document is not None and self.document.state in ("revoked", "superseded")

    @property
    def genuine(self) -> bool:
        """Valid signatures, byte for byte the revision the court issued last, still in force."""
        return self.report.passed and self.is_latest and not self.withdrawn


def _registry_evidence(
    session: Session,
    log: EvidenceLog,
    log_key: str,
    document: CourtDocument,
    revision: DocumentRevision,
) -> RegistryEvidence:
    checkpoint = log.checkpoint(session)
    leaf = session.get(LogLeaf, revision.log_index)
    assert leaf is not None
    return RegistryEvidence(
        issued_sha256=document.current_sha256,
        checkpoint=checkpoint.note,
        log_key=log_key,
        record=leaf.record.encode(),
        leaf_index=revision.log_index,
        inclusion_proof=tuple(log.inclusion_proof(session, revision.log_index, checkpoint.size)),
    )


def verify_document_bytes(
    session: Session, pki: CourtPKI, log: EvidenceLog, log_key: str, data: bytes
) -> Verification:
    """Verify an uploaded PDF against the court's roots and, if it is ours, its registry."""
    sha256 = hashlib.sha256(data).hexdigest()
    found = revision_by_hash(session, sha256)
    expected: list[ExpectedSigner] = []
    registry = None
    document = revision = None
    if found is not None:
        document, revision = found
        expected = [
            ExpectedSigner(role=str(s["role"]), field_name=str(s["field"]))
            for s in document.signers
        ]
        if document.state == "sealed":
            expected.append(ExpectedSigner(role="法院印章", field_name=SEAL_FIELD))
        registry = _registry_evidence(session, log, log_key, document, revision)
    report = verify_pdf(
        data,
        trust_roots=[pki.certificate(ROOT)],
        crls=current_crls(session, pki, validity=dt.timedelta(hours=24)),
        expected_signers=expected,
        registry=registry,
    )
    is_latest = document is not None and document.current_sha256 == sha256
    return Verification(report, sha256, document, revision, is_latest)


def revisions_of(session: Session, document_id: str) -> list[DocumentRevision]:
    return list(
        session.exec(
            select(DocumentRevision)
            .where(DocumentRevision.document_id == document_id)
            .order_by(col(DocumentRevision.number))
        )
    )


def find_by_code(session: Session, code: str) -> CourtDocument | None:
    return document_by_code(session, code)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
