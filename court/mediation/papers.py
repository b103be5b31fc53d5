"""The mediation's papers: the record (调解笔录) and the agreement (调解协议书), signed by the
parties on their phones and by the mediator (R14) — or on paper in person in a
personal-status matter (R15) — and the judicial confirmation of a pre-filing agreement.

A signed revision is never altered: new terms are a new document that supersedes the last
and that everyone signs again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from court.accounts.models import Account, Court
from court.audit import Actor, record_audit
from court.cases.models import Case
from court.db import utcnow
from court.errors import Conflict, ValidationFailed
from court.eservice.models import ConsentGround
from court.eservice.services import serve_document
from court.mediation import services
from court.mediation.errors import (
    DeadlinePassed,
    MediationNotFound,
    PersonalStatusExcluded,
    WrongState,
)
from court.mediation.models import (
    Confirmation,
    Mediation,
    MediationDocument,
    MediationStage,
    MediationState,
    PartySide,
    TerminationGround,
)
from court.reference.models import CaseCause
from court.registry import services as registry
from court.registry.models import CourtDocument, DocumentState
from court.registry.services import DocumentTools
from signing.evidence.store import EvidenceLog

RECORD = "mediation_record"
AGREEMENT = "mediation_agreement"
RULING = "confirmation_ruling"
TITLES = {RECORD: "调解笔录", AGREEMENT: "调解协议书", RULING: "民事裁定书（司法确认）"}
SIDE_NAMES = {PartySide.APPLICANT: "申请人", PartySide.RESPONDENT: "被申请人"}
#: Days after the agreement takes effect within which the parties apply for confirmation.
CONFIRMATION_DAYS = 30


class AgreementComplete(Conflict):
    code = "agreement_complete"
    zh = "调解协议已由各方签署，不能再修改；如需变更，请另行协商达成新的协议。"
    en = "Every party has signed the agreement; it can no longer be changed."


def current_papers(session: Session, mediation_id: str) -> list[MediationDocument]:
    return list(
        session.exec(
            select(MediationDocument)
            .where(MediationDocument.mediation_id == mediation_id)
            .order_by(col(MediationDocument.created_at))
        )
    )


def current_paper(session: Session, mediation_id: str, kind: str) -> MediationDocument | None:
    return session.exec(
        select(MediationDocument).where(
            MediationDocument.mediation_id == mediation_id,
            MediationDocument.kind == kind,
            col(MediationDocument.current).is_(True),
        )
    ).first()


def _context(session: Session, mediation: Mediation, staff: Account) -> dict[str, Any]:
    court = session.get(Court, mediation.court_id)
    cause = session.get(CaseCause, mediation.cause_id)
    case = session.get(Case, mediation.case_id) if mediation.case_id else None
    mediator = services.mediator_of(session, mediation)
    return {
        "court_name": court.name if court else "",
        "number": None,
        "organisation": mediator.organisation if mediator else "",
        "mediator": mediator.name if mediator else staff.display_name,
        "case_number": case.case_number if case and case.case_number else "（诉前调解）",
        "cause": cause.name if cause else "",
        "issued_at": utcnow(),
    }


def _signers(session: Session, mediation: Mediation, staff: Account) -> list[dict[str, Any]]:
    signers: list[dict[str, Any]] = [
        {
            "field": f"party-{n}",
            "role": SIDE_NAMES[PartySide(party.side)],
            "name": party.name,
            "account_id": party.account_id,
        }
        for n, party in enumerate(services.parties_of(session, mediation.id), start=1)
    ]
    signers.append(
        {
            "field": "mediator",
            "role": "调解员",
            "name": staff.display_name,
            "account_id": staff.id,
            "kind": "staff",
        }
    )
    return signers


def _clean_lines(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValidationFailed({"field": field})
    lines = [x.strip() for x in value if x.strip()]
    if not lines:
        raise ValidationFailed(
            {"field": field}, zh="内容不能为空。", en=f"{field} must not be empty."
        )
    return lines


def issue_paper(
    session: Session,
    tools: DocumentTools,
    actor: Actor,
    staff: Account,
    *,
    mediation_id: str,
    kind: str,
    content: dict[str, Any],
) -> CourtDocument:
    """Render the record or the agreement as the mediator wrote it and issue it for
    signing; the version it replaces (signed by some, or by none) is superseded."""
    mediation = services.for_mediator(session, staff, mediation_id, lock=True)
    services.require_running(mediation)
    context = _context(session, mediation, staff)
    parties = [
        {"role": SIDE_NAMES[PartySide(p.side)], "name": p.name, "description": "", "agents": []}
        for p in services.parties_of(session, mediation.id)
    ]
    if kind == AGREEMENT:
        fields: dict[str, object] = {
            "dispute": str(content.get("dispute", "")).strip() or mediation.summary,
            "terms": _clean_lines(content.get("terms"), "terms"),
            "performance": str(content.get("performance", "")).strip() or "按协议约定履行。",
            "default_clause": str(content.get("default_clause", "")).strip()
            or "一方不履行的，另一方可依法申请司法确认后申请强制执行。",
        }
        context |= {"parties": parties, **fields}
    elif kind == RECORD:
        statements = [
            {"speaker": speaker.strip(), "text": text.strip()}
            for line in _clean_lines(content.get("statements"), "statements")
            for speaker, _, text in [line.partition("：") if "：" in line else ("", "", line)]
        ]
        fields = {"statements": [f"{s['speaker']}：{s['text']}" for s in statements]}
        context |= {
            "started_at": utcnow(),
            "ended_at": None,
            "online": True,
            "place": "移动微法院在线调解",
            "recorder": staff.display_name,
            "attendees": [{"role": p["role"], "name": p["name"]} for p in parties]
            + [{"role": "调解员", "name": staff.display_name}],
            "statements": statements,
        }
    else:
        raise ValidationFailed({"field": "kind"})
    previous = current_paper(session, mediation.id, kind)
    if previous is not None:
        old = session.get(CourtDocument, previous.document_id)
        assert old is not None
        if old.state in (DocumentState.SIGNED, DocumentState.SEALED) or (
            kind == AGREEMENT and mediation.state == MediationState.AGREED
        ):
            raise AgreementComplete({"document": old.id})
    document = registry.issue_rendered(
        session,
        tools.blobs,
        tools.log,
        actor,
        court_id=mediation.court_id,
        case_id=mediation.case_id,
        kind=kind,
        title=TITLES[kind],
        template=f"{kind}.html",
        context=context,
        signers=_signers(session, mediation, staff),
        base_url=tools.base_url,
        in_person=mediation.personal_status,
    )
    version = 1
    if previous is not None:
        version = previous.version + 1
        previous.current = False
        session.add(previous)
        registry.withdraw_document(
            session,
            tools.log,
            actor,
            previous.document_id,
            court_id=mediation.court_id,
            to=DocumentState.SUPERSEDED,
            reason="新版本替代（内容修改后须重新签署）",
            replaced_by=document.id,
        )
    session.add(
        MediationDocument(
            document_id=document.id,
            mediation_id=mediation.id,
            kind=kind,
            version=version,
            content=fields,
            created_at=utcnow(),
        )
    )
    session.flush()
    how = (
        "本案涉及身份关系，须到场当面签署（R15）。"
        if mediation.personal_status
        else "请各方当事人在手机上签署，调解员随后签署（R14）。"
    )
    services.system_message(
        session,
        mediation,
        f"{TITLES[kind]}（第 {version} 版）已生成，核验码 {document.short_code}。{how}",
    )
    record_audit(
        session,
        actor,
        "mediation.issue_paper",
        "mediation",
        mediation.id,
        {"kind": kind, "document": document.id, "version": version},
    )
    return document


def refuse_to_sign(
    session: Session,
    log: EvidenceLog,
    actor: Actor,
    account: Account,
    *,
    mediation_id: str,
    reason: str,
) -> Mediation:
    """A party will not sign the agreement: a termination ground (R16). The unsigned
    agreement is revoked so that nobody can sign it afterwards."""
    mediation, party = services.for_party(session, account, mediation_id, lock=True)
    if party.account_id != account.id:
        raise MediationNotFound({"mediation": mediation_id})
    paper = current_paper(session, mediation.id, AGREEMENT)
    if paper is None or mediation.state != MediationState.IN_PROGRESS:
        raise WrongState({"state": mediation.state})
    document = session.get(CourtDocument, paper.document_id)
    assert document is not None
    if document.state == DocumentState.AWAITING_SIGNATURES:
        registry.withdraw_document(
            session,
            log,
            actor,
            document.id,
            court_id=mediation.court_id,
            to=DocumentState.REVOKED,
            reason=f"当事人{party.name}拒绝签署",
        )
    return services.close(
        session,
        actor,
        mediation,
        TerminationGround.PARTY_REFUSES_TO_SIGN,
        note=f"{party.name}拒绝签署调解协议：{reason.strip()}",
    )


@registry.document_signed.connect
def _on_signed(document: CourtDocument, *, session: Session, actor: Actor, field: str) -> None:
    """R14: the agreement takes effect at the last party's signature."""
    if document.kind != AGREEMENT or not registry.parties_have_signed(document):
        return
    paper = session.get(MediationDocument, document.id)
    if paper is None or not paper.current:
        return
    mediation = session.get(Mediation, paper.mediation_id)
    if mediation is None or mediation.state != MediationState.IN_PROGRESS:
        return
    services.close(
        session,
        actor,
        mediation,
        TerminationGround.AGREEMENT,
        note="调解协议自最后一方当事人签名时生效（R14）。",
    )


# --- judicial confirmation (司法确认) --------------------------------------------------


def apply_for_confirmation(
    session: Session, actor: Actor, account: Account, *, mediation_id: str
) -> Confirmation:
    """Each party joins the application; with every party in, it goes to a judge. Only a
    pre-filing agreement, within 30 days of taking effect, and never to confirm a
    personal-status relationship."""
    mediation, party = services.for_party(session, account, mediation_id, lock=True)
    if party.account_id != account.id:
        raise MediationNotFound({"mediation": mediation_id})
    if mediation.personal_status:
        raise PersonalStatusExcluded(
            {"rule": "R15"},
            zh="涉及婚姻、收养等身份关系的调解协议不能申请司法确认（规则 R15）。",
            en="An agreement on a personal-status relation cannot be judicially confirmed (R15).",
        )
    if mediation.stage != MediationStage.PRE_FILING or mediation.state != MediationState.AGREED:
        raise WrongState({"state": mediation.state, "stage": mediation.stage})
    assert mediation.effective_at is not None
    if utcnow() > mediation.effective_at + dt.timedelta(days=CONFIRMATION_DAYS):
        raise DeadlinePassed(
            {"rule": "司法确认", "days": CONFIRMATION_DAYS},
            zh="应当自调解协议生效之日起三十日内申请司法确认。",
            en="Apply within 30 days of the agreement taking effect.",
        )
    confirmation = session.exec(
        select(Confirmation).where(Confirmation.mediation_id == mediation.id)
    ).first()
    if confirmation is None:
        confirmation = Confirmation(mediation_id=mediation.id, state="applied", created_at=utcnow())
        session.add(confirmation)
    if party.confirmation_applied_at is None:
        party.confirmation_applied_at = utcnow()
        session.add(party)
    session.flush()
    if confirmation.state == "applied" and all(
        p.confirmation_applied_at is not None for p in services.parties_of(session, mediation.id)
    ):
        confirmation.state = "pending"
        services.system_message(session, mediation, "各方当事人已共同申请司法确认，待法官审查。")
    session.add(confirmation)
    record_audit(session, actor, "mediation.confirmation_apply", "mediation", mediation.id)
    return confirmation


def decide_confirmation(
    session: Session,
    tools: DocumentTools,
    actor: Actor,
    judge: Account,
    *,
    mediation_id: str,
    grant: bool,
    reasons: str,
) -> Confirmation:
    """A judge grants or refuses; the sealed ruling is served on every party."""
    mediation = services.for_court_staff(session, judge, mediation_id, lock=True)
    confirmation = session.exec(
        select(Confirmation).where(Confirmation.mediation_id == mediation.id)
    ).first()
    if confirmation is None or confirmation.state != "pending":
        raise WrongState({"confirmation": confirmation.state if confirmation else None})
    reasons = reasons.strip()
    if not reasons:
        raise ValidationFailed({"field": "reasons"}, zh="请写明审查意见。", en="Give reasons.")
    paper = current_paper(session, mediation.id, AGREEMENT)
    agreement = session.get(CourtDocument, paper.document_id) if paper else None
    if agreement is None or agreement.state not in (DocumentState.SIGNED, DocumentState.SEALED):
        raise WrongState({"agreement": agreement.state if agreement else None})
    parties = services.parties_of(session, mediation.id)
    mediator = services.mediator_of(session, mediation)
    court = session.get(Court, mediation.court_id)
    applied = [p.confirmation_applied_at for p in parties if p.confirmation_applied_at]
    ruling = registry.issue_sealed(
        session,
        tools.blobs,
        tools.log,
        actor,
        court_id=mediation.court_id,
        case_id=mediation.case_id,
        kind=RULING,
        title=TITLES[RULING],
        template="confirmation_ruling.html",
        context={
            "court_name": court.name if court else "",
            "number": None,
            "parties": [{"role": "申请人", "name": p.name} for p in parties],
            "applied_at": max(applied),
            "agreement_title": agreement.title,
            "agreement_code": agreement.short_code,
            "effective_at": mediation.effective_at,
            "organisation": mediator.organisation if mediator else "",
            "mediator": mediator.name if mediator else "",
            "granted": grant,
            "reasons": reasons,
            "judge": judge.display_name,
            "issued_at": utcnow(),
        },
        base_url=tools.base_url,
        seal=tools.seal,
        timestamper=tools.timestamper,
    )
    with tools.blobs.open(ruling.current_sha256) as fh:
        pdf = fh.read()
    for party in parties:
        if party.account_id:
            serve_document(
                session,
                tools.blobs,
                tools.log,
                actor,
                court_id=mediation.court_id,
                recipient_account_id=party.account_id,
                kind=RULING,
                title=TITLES[RULING],
                pdf=pdf,
                consent=ConsentGround(party.consent_ground or ConsentGround.REPLY_OR_ACT),
                case_id=mediation.case_id,
            )
    confirmation.state = "granted" if grant else "refused"
    confirmation.judge_id = judge.id
    confirmation.reasons = reasons
    confirmation.ruling_document_id = ruling.id
    confirmation.decided_at = utcnow()
    session.add(confirmation)
    services.system_message(
        session,
        mediation,
        ("法院裁定调解协议有效（司法确认）。" if grant else "法院裁定驳回司法确认申请。")
        + f"裁定书核验码 {ruling.short_code}，已电子送达。",
    )
    record_audit(
        session,
        actor,
        "mediation.confirmation_decided",
        "mediation",
        mediation.id,
        {"grant": grant, "ruling": ruling.id},
    )
    return confirmation
