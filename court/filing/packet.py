"""The filing packet: accepted pages bound into one PDF behind a cover, sealed and logged."""

from __future__ import annotations

import base64

from cryptography import x509
from pyhanko.sign.timestamps.api import TimeStamper
from sqlmodel import Session

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.cases.models import Case
from court.db import utcnow
from court.devices.models import Device
from court.filing.models import Submission
from court.filing.notices import KIND_NAMES
from court.filing.services import pages_of
from court.registry.services import issue_sealed
from documents.blobs import FilesystemBlobStore
from documents.sealing import SealingKey
from signing.evidence.store import EvidenceLog


def bind_packet(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    submission: Submission,
    case: Case | None,
    *,
    court_name: str,
    seal: SealingKey,
    timestamper: TimeStamper,
    base_url: str,
) -> str:
    """Render cover and pages, seal with the court seal and a time stamp, store and log it."""
    submitter = session.get(Account, submission.account_id)
    device = session.get(Device, submission.device_id) if submission.device_id else None
    assert submitter is not None
    assert device is not None
    certificate = x509.load_pem_x509_certificate(device.certificate_pem.encode())
    pages = []
    for page in pages_of(session, submission.id):
        with blobs.open(page.display_sha256) as fh:
            data_uri = "data:image/jpeg;base64," + base64.b64encode(fh.read()).decode()
        pages.append({**page.model_dump(), "data_uri": data_uri})
    handwriting_uri = None
    if submission.handwriting_sha256:
        with blobs.open(submission.handwriting_sha256) as fh:
            handwriting_uri = "data:image/png;base64," + base64.b64encode(fh.read()).decode()
    context = {
        "court_name": court_name,
        "number": case.case_number if case else None,
        "case_number": case.case_number if case else None,
        "kind_name": KIND_NAMES[submission.kind],
        "submitter": submitter.display_name,
        "signed_at": submission.signed_at,
        "manifest_sha256": submission.manifest_sha256,
        "certificate_subject": certificate.subject.rfc4514_string(),
        "certificate_serial": device.serial,
        "certificate_not_after": certificate.not_valid_after_utc,
        "log_index": submission.log_index,
        "registered_at": utcnow(),
        "pages": pages,
        "handwriting_uri": handwriting_uri,
    }
    document = issue_sealed(
        session,
        blobs,
        log,
        actor,
        court_id=submission.court_id,
        case_id=case.id if case else None,
        kind="filing_packet",
        title=f"立案材料卷（{case.case_number}）" if case and case.case_number else "立案材料卷",
        template="filing_packet.html",
        context=context,
        base_url=base_url,
        seal=seal,
        timestamper=timestamper,
    )
    ref_sha256 = document.current_sha256
    submission.packet_sha256 = ref_sha256
    session.add(submission)
    log.append(
        session,
        "filing.packet",
        {
            "submission": submission.id,
            "case": case.id if case else None,
            "pdf_sha256": ref_sha256,
            "time": utcnow().isoformat(),
        },
    )
    record_audit(
        session, actor, "submission.packet", "submission", submission.id, {"sha256": ref_sha256}
    )
    return ref_sha256
