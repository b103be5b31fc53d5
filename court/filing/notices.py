"""The notices a clerk's decision produces, rendered as PDFs and served on the filer."""

from __future__ import annotations

import datetime as dt

from pyhanko.sign.timestamps.api import TimeStamper
from sqlmodel import Session

from court.accounts.models import Account, Court
from court.audit import Actor
from court.db import utcnow
from court.eservice.models import ConsentGround, ServedDocument
from court.eservice.services import serve_document
from court.filing.models import Submission
from court.filing.review import CORRECTION_CHECKLIST, Decision
from court.registry.services import issue_sealed
from documents.blobs import FilesystemBlobStore
from documents.sealing import SealingKey
from signing.evidence.store import EvidenceLog

KIND_NAMES = {
    "complaint": "起诉状",
    "withdrawal": "撤诉申请",
    "enforcement": "执行申请",
    "evidence": "证据材料",
    "correction": "补正材料",
}

TEMPLATES = {
    "register": ("acceptance_notice", "受理通知书"),
    "request_correction": ("correction_notice", "补正通知书"),
    "reject": ("rejection_ruling", "不予受理裁定书"),
}


def serve_decision_notice(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    actor: Actor,
    decision: Decision,
    *,
    items: list[str] | None = None,
    note: str = "",
    deadline: dt.date | None = None,
    reasons: str = "",
    seal: SealingKey,
    timestamper: TimeStamper,
    base_url: str,
) -> ServedDocument:
    """Render the notice for a decision and serve it on the filer (R23: the e-address they
    gave when filing is their consent)."""
    submission: Submission = decision.submission
    filer = session.get(Account, submission.account_id)
    court = session.get(Court, submission.court_id)
    assert filer is not None
    assert court is not None
    kind, title = TEMPLATES[decision.decision]
    case = decision.case
    context = {
        "court_name": court.name,
        "number": case.case_number if case else None,
        "recipient": filer.display_name,
        "kind_name": KIND_NAMES[submission.kind],
        "submission_id": submission.id,
        "signed_at": submission.signed_at or utcnow(),
        "case_number": case.case_number if case else None,
        "title": case.title if case else KIND_NAMES[submission.kind],
        "manifest_sha256": submission.manifest_sha256,
        "log_index": decision.log_index,
        "items": [CORRECTION_CHECKLIST[i] for i in (items or [])]
        + ([note] if note.strip() else []),
        "deadline": deadline,
        "reasons": reasons,
        "issued_at": utcnow(),
    }
    full_title = title if not case else f"{title}（{case.case_number}）"
    document = issue_sealed(
        session,
        blobs,
        log,
        actor,
        court_id=court.id,
        case_id=case.id if case else submission.case_id,
        kind=kind,
        title=full_title,
        template=f"{kind}.html",
        context=context,
        base_url=base_url,
        seal=seal,
        timestamper=timestamper,
    )
    with blobs.open(document.current_sha256) as fh:
        pdf = fh.read()
    return serve_document(
        session,
        blobs,
        log,
        actor,
        court_id=court.id,
        recipient_account_id=filer.id,
        kind=kind,
        title=full_title,
        pdf=pdf,
        consent=ConsentGround.FILING_E_ADDRESS,
        case_id=case.id if case else submission.case_id,
        submission_id=submission.id,
    )
