"""The clerk's review of filings (R7): register, ask for one complete correction, or reject."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from court.accounts.models import Account, Court
from court.audit import Actor, record_audit
from court.cases.models import CASE_MOVES, Case, CaseParty, CaseState, PartyRole, Procedure
from court.db import utcnow
from court.errors import Conflict, ValidationFailed
from court.filing.errors import SubmissionNotFound
from court.filing.models import SUBMISSION_MOVES, Submission, SubmissionKind, SubmissionState
from court.filing.numbering import CaseType, next_case_number
from court.identity.protection import IdNumberProtector
from court.identity.validators import InvalidIdNumber, canonical_id
from court.reference.models import CauseTag
from court.reference.services import cause_tags
from court.timekeeping import local_date
from signing.evidence.store import EvidenceLog

#: R7: the deficiencies a correction notice can list, besides free text.
CORRECTION_CHECKLIST: dict[str, str] = {
    "defendant_identity": "被告身份信息不完整（姓名或名称、住所、联系方式）",
    "claims_unclear": "诉讼请求不明确、不具体",
    "facts_unclear": "事实与理由表述不清",
    "evidence_list": "缺少证据目录或证据来源说明",
    "illegible_pages": "照片不清晰、不完整，无法辨认",
    "signature_page": "缺少起诉人签名或盖章页",
    "authorisation": "缺少授权委托书或代理人身份证明",
    "enforcement_basis": "未提交生效法律文书或其生效证明",
}

REVIEWABLE = (SubmissionState.SUBMITTED.value, SubmissionState.CORRECTED.value)


class AlreadyCorrected(Conflict):
    code = "correction_already_requested"
    zh = "依法只能一次性告知补正内容，本案已经通知过补正（R7）。"
    en = "R7 allows one correction notice listing everything; one was already sent."


class NothingToCorrect(ValidationFailed):
    code = "correction_items_required"
    zh = "补正通知必须列明需要补正的全部内容和期限。"
    en = "A correction notice must list every deficiency and a deadline."


@dataclass(frozen=True)
class Decision:
    submission: Submission
    decision: str
    case: Case | None
    log_index: int


def clerk_queue(session: Session, court_id: str) -> list[Submission]:
    """Filings waiting for the clerk, oldest acceptance period first."""
    return list(
        session.exec(
            select(Submission)
            .where(
                Submission.court_id == court_id,
                col(Submission.state).in_(REVIEWABLE),
                Submission.kind != SubmissionKind.CORRECTION.value,
            )
            .order_by(col(Submission.review_period_start), col(Submission.signed_at))
        )
    )


def corrections_pending(session: Session, court_id: str) -> list[Submission]:
    return list(
        session.exec(
            select(Submission)
            .where(
                Submission.court_id == court_id,
                Submission.state == SubmissionState.CORRECTION_REQUESTED.value,
            )
            .order_by(col(Submission.signed_at))
        )
    )


def submission_for_clerk(
    session: Session, clerk: Account, submission_id: str, *, lock: bool = False
) -> Submission:
    """A clerk sees only the filings of their own court; others are not found."""
    query = select(Submission).where(Submission.id == submission_id)
    if lock:
        query = query.with_for_update()
    submission = session.exec(query).first()
    if (
        submission is None
        or submission.court_id != clerk.court_id
        or submission.state == SubmissionState.DRAFT
    ):
        raise SubmissionNotFound({"submission": submission_id})
    return submission


def corrections_of(session: Session, submission_id: str) -> list[Submission]:
    return list(
        session.exec(
            select(Submission)
            .where(Submission.corrects_id == submission_id)
            .order_by(col(Submission.signed_at))
        )
    )


def _log_decision(
    session: Session,
    log: EvidenceLog,
    submission: Submission,
    decision: str,
    actor_pseudonym: str,
    extra: dict[str, Any],
) -> int:
    leaf = log.append(
        session,
        "clerk.decision",
        {
            "submission": submission.id,
            "decision": decision,
            "court": submission.court_id,
            "actor": actor_pseudonym,
            "time": utcnow().isoformat(),
            "manifest_sha256": submission.manifest_sha256,
            **extra,
        },
    )
    return leaf.index


def register(
    session: Session,
    log: EvidenceLog,
    actor: Actor,
    clerk: Account,
    submission_id: str,
    *,
    actor_pseudonym: str,
    protector: IdNumberProtector,
) -> Decision:
    """Accept a filing: a complaint or enforcement application becomes a numbered case; a
    withdrawal withdraws its case; evidence joins its case."""
    submission = submission_for_clerk(session, clerk, submission_id, lock=True)
    if submission.state not in REVIEWABLE:
        raise Conflict({"state": submission.state})
    court = session.get(Court, submission.court_id)
    assert court is not None
    kind = SubmissionKind(submission.kind)
    case: Case | None = None
    if kind in (SubmissionKind.COMPLAINT, SubmissionKind.ENFORCEMENT):
        case = _open_case(session, actor, court, submission, kind, protector)
        submission.case_id = case.id
    elif kind is SubmissionKind.WITHDRAWAL:
        case = session.exec(
            select(Case).where(Case.id == submission.case_id).with_for_update()
        ).one()
        CASE_MOVES.move(
            session, case, CaseState.WITHDRAWN, actor, f"撤诉申请 {submission.id} 经审查准许"
        )
    elif kind is SubmissionKind.EVIDENCE:
        case = session.get(Case, submission.case_id)
    SUBMISSION_MOVES.move(session, submission, SubmissionState.ACCEPTED, actor, "予以登记立案")
    for correction in corrections_of(session, submission.id):
        if correction.state == SubmissionState.SUBMITTED:
            SUBMISSION_MOVES.move(
                session, correction, SubmissionState.ACCEPTED, actor, "随原申请一并接收"
            )
    index = _log_decision(
        session,
        log,
        submission,
        "register",
        actor_pseudonym,
        {"case": case.id if case else None, "case_number": case.case_number if case else None},
    )
    record_audit(
        session,
        actor,
        "submission.register",
        "submission",
        submission.id,
        {"case": case.id if case else None, "case_number": case.case_number if case else None},
    )
    return Decision(submission, "register", case, index)


def _open_case(
    session: Session,
    actor: Actor,
    court: Court,
    submission: Submission,
    kind: SubmissionKind,
    protector: IdNumberProtector,
) -> Case:
    details = submission.details
    cause_id = details.get("cause_id")
    enforcement = kind is SubmissionKind.ENFORCEMENT
    procedure = Procedure.ENFORCEMENT
    if not enforcement:
        tags = cause_tags(session, int(cause_id)) if isinstance(cause_id, int) else frozenset()
        procedure = (
            Procedure.SIMPLE if CauseTag.SIMPLE_CIVIL_COMMERCIAL in tags else Procedure.ORDINARY
        )
    number = next_case_number(
        session,
        court_id=court.id,
        court_code=court.code,
        year=local_date(utcnow()).year,
        case_type=CaseType.ENFORCEMENT if enforcement else CaseType.CIVIL_FIRST_INSTANCE,
    )
    raw_parties = details.get("parties", [])
    parties: list[dict[str, Any]] = list(raw_parties) if isinstance(raw_parties, list) else []
    filer = session.get(Account, submission.account_id)
    assert filer is not None
    title = _case_title(filer.display_name, parties, enforcement)
    case = Case(
        court_id=court.id,
        case_number=number,
        title=title,
        cause_id=cause_id if isinstance(cause_id, int) else None,
        procedure=procedure.value,
        state=CaseState.PRE_FILING.value,
        created_at=utcnow(),
        registered_at=utcnow(),
    )
    CASE_MOVES.start(session, case, CaseState.PRE_FILING, actor, f"由申请 {submission.id} 立案")
    CASE_MOVES.move(session, case, CaseState.REGISTERED, actor, "登记立案")
    session.flush()
    filer_role = PartyRole.APPLICANT if enforcement else PartyRole.PLAINTIFF
    session.add(
        CaseParty(
            case_id=case.id, account_id=filer.id, role=filer_role.value, name=filer.display_name
        )
    )
    for party in parties:
        role = str(party.get("role", ""))
        if role in (filer_role.value,) and party.get("name") == filer.display_name:
            continue
        id_type, id_match = _id_match(protector, party)
        session.add(
            CaseParty(
                case_id=case.id,
                role=role,
                name=str(party.get("name", "")),
                id_type=id_type,
                id_match=id_match,
            )
        )
    session.flush()
    return case


def _id_match(protector: IdNumberProtector, party: dict[str, Any]) -> tuple[str | None, str | None]:
    """The HMAC of the ID number the complaint gives for a party, if it is a valid one: only
    that person may later link as the party (R4). A number that does not check is left out
    (the name alone then decides, as for a complaint that gives none)."""
    raw = party.get("id_number")
    if not isinstance(raw, str) or not raw.strip():
        return None, None
    try:
        id_type, number = canonical_id(str(party.get("kind", "natural")), raw.strip())
    except InvalidIdNumber:
        return None, None
    return id_type.value, protector.match_value(id_type.value, number)


def _case_title(filer: str, parties: list[dict[str, Any]], enforcement: bool) -> str:
    others = [str(p.get("name")) for p in parties if p.get("role") in ("defendant", "respondent")]
    against = "、".join(others) or "（未列明）"
    return f"{filer}申请执行{against}" if enforcement else f"{filer}诉{against}"


def request_correction(
    session: Session,
    log: EvidenceLog,
    actor: Actor,
    clerk: Account,
    submission_id: str,
    *,
    items: list[str],
    note: str,
    deadline: dt.date,
    actor_pseudonym: str,
) -> Decision:
    """R7: one notice listing every deficiency and a deadline; never a second one."""
    submission = submission_for_clerk(session, clerk, submission_id, lock=True)
    if submission.state == SubmissionState.CORRECTED.value:
        raise AlreadyCorrected
    unknown = [i for i in items if i not in CORRECTION_CHECKLIST]
    if unknown or (not items and not note.strip()) or deadline <= local_date(utcnow()):
        raise NothingToCorrect({"unknown_items": unknown})
    submission.correction_items = [CORRECTION_CHECKLIST[i] for i in items] + (
        [note.strip()] if note.strip() else []
    )
    submission.correction_deadline = deadline
    SUBMISSION_MOVES.move(
        session,
        submission,
        SubmissionState.CORRECTION_REQUESTED,
        actor,
        "；".join([CORRECTION_CHECKLIST[i] for i in items] + ([note] if note.strip() else [])),
    )
    index = _log_decision(
        session,
        log,
        submission,
        "request_correction",
        actor_pseudonym,
        {"items": items, "deadline": deadline.isoformat()},
    )
    record_audit(
        session,
        actor,
        "submission.request_correction",
        "submission",
        submission.id,
        {"items": items, "note": note, "deadline": deadline.isoformat()},
    )
    return Decision(submission, "request_correction", None, index)


def reject(
    session: Session,
    log: EvidenceLog,
    actor: Actor,
    clerk: Account,
    submission_id: str,
    *,
    reasons: str,
    actor_pseudonym: str,
) -> Decision:
    submission = submission_for_clerk(session, clerk, submission_id, lock=True)
    if not reasons.strip():
        raise ValidationFailed(
            {"field": "reasons"}, zh="不予受理必须说明理由。", en="A rejection needs reasons."
        )
    SUBMISSION_MOVES.move(session, submission, SubmissionState.REJECTED, actor, reasons)
    index = _log_decision(session, log, submission, "reject", actor_pseudonym, {})
    record_audit(
        session, actor, "submission.reject", "submission", submission.id, {"reasons": reasons}
    )
    return Decision(submission, "reject", None, index)
