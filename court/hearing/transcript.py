"""The hearing transcript (庭审笔录, R22): written by the clerk, rendered, confirmed and signed
online by the parties on their phones, then by the clerk, and sealed; a changed text is a
new document that supersedes the last."""

from __future__ import annotations

from sqlmodel import Session, col, select

from court.accounts.models import Account, Court
from court.audit import Actor, record_audit
from court.cases.models import Case
from court.db import utcnow
from court.errors import Conflict, ValidationFailed
from court.hearing.models import (
    COURT_ROLES,
    PARTY_ROLES,
    ROLE_NAMES,
    Hearing,
    HearingState,
    ParticipantRole,
)
from court.hearing.services import for_court_staff, participants_of
from court.reference.models import CaseCause
from court.registry import services as registry
from court.registry.models import CourtDocument, DocumentState
from court.registry.services import DocumentTools

KIND = "hearing_transcript"


class TranscriptSigned(Conflict):
    code = "transcript_signed"
    zh = "庭审笔录已由各方签署，不能再修改。"
    en = "Everyone has signed the transcript; it can no longer be changed."


def current_transcript(session: Session, hearing: Hearing) -> CourtDocument | None:
    return session.exec(
        select(CourtDocument)
        .where(
            CourtDocument.case_id == hearing.case_id,
            CourtDocument.kind == KIND,
            col(CourtDocument.state).in_(
                [DocumentState.AWAITING_SIGNATURES, DocumentState.SIGNED, DocumentState.SEALED]
            ),
            CourtDocument.title == f"庭审笔录（{hearing.id[:8]}）",
        )
        .order_by(col(CourtDocument.created_at).desc())
    ).first()


def issue_transcript(
    session: Session,
    tools: DocumentTools,
    actor: Actor,
    staff: Account,
    *,
    hearing_id: str,
    lines: list[str],
) -> CourtDocument:
    """Render the clerk's lines ("发言人：内容") for every party with an account to sign."""
    hearing = for_court_staff(session, staff, hearing_id, lock=True)
    if hearing.state == HearingState.NOT_STARTED:
        raise Conflict({"state": hearing.state}, zh="尚未开庭，不能制作庭审笔录。")
    statements = []
    for line in (x.strip() for x in lines):
        if not line:
            continue
        speaker, sep, text = line.partition("：")
        statements.append({"speaker": speaker if sep else "", "text": text if sep else line})
    if not statements:
        raise ValidationFailed({"field": "transcript"}, zh="笔录内容不能为空。")
    previous = current_transcript(session, hearing)
    if previous is not None and previous.state != DocumentState.AWAITING_SIGNATURES:
        raise TranscriptSigned({"document": previous.id})
    people = participants_of(session, hearing.id)
    order = [
        ParticipantRole.PLAINTIFF,
        ParticipantRole.DEFENDANT,
        ParticipantRole.THIRD_PARTY,
        ParticipantRole.AGENT,
    ]
    parties = sorted(
        (p for p in people if p.role in PARTY_ROLES or p.role == ParticipantRole.AGENT),
        key=lambda p: order.index(ParticipantRole(p.role)),
    )
    signers: list[dict[str, object]] = [
        {
            "field": f"party-{n}",
            "role": ROLE_NAMES[ParticipantRole(p.role)],
            "name": p.name,
            "account_id": p.account_id,
        }
        for n, p in enumerate((p for p in parties if p.account_id), start=1)
    ]
    signers.append(
        {
            "field": "clerk",
            "role": ROLE_NAMES[ParticipantRole.CLERK]
            if staff.role == "clerk"
            else ROLE_NAMES[ParticipantRole.JUDGE],
            "name": staff.display_name,
            "account_id": staff.id,
            "kind": "staff",
        }
    )
    case = session.get(Case, hearing.case_id)
    assert case is not None
    court = session.get(Court, hearing.court_id)
    cause = session.get(CaseCause, case.cause_id) if case.cause_id else None
    judge = next((p for p in people if p.role == ParticipantRole.JUDGE), None)
    clerk = next((p for p in people if p.role == ParticipantRole.CLERK), None)
    document = registry.issue_rendered(
        session,
        tools.blobs,
        tools.log,
        actor,
        court_id=hearing.court_id,
        case_id=hearing.case_id,
        kind=KIND,
        title=f"庭审笔录（{hearing.id[:8]}）",
        template="hearing_transcript.html",
        context={
            "court_name": court.name if court else "",
            "number": None,
            "case_number": case.case_number,
            "cause": cause.name if cause else case.title,
            "started_at": hearing.opened_at or hearing.scheduled_at,
            "ended_at": hearing.closed_at,
            "online": hearing.mode != "offline",
            "place": "",
            "judge": judge.name if judge else "",
            "clerk": clerk.name if clerk else staff.display_name,
            "parties": [
                {"role": ROLE_NAMES[ParticipantRole(p.role)], "name": p.name}
                for p in people
                if p.role not in COURT_ROLES
            ],
            "transcript": statements,
            "issued_at": utcnow(),
        },
        signers=signers,
        base_url=tools.base_url,
    )
    if previous is not None:
        registry.withdraw_document(
            session,
            tools.log,
            actor,
            previous.id,
            court_id=hearing.court_id,
            to=DocumentState.SUPERSEDED,
            reason="笔录修改后重新签署",
            replaced_by=document.id,
        )
    record_audit(
        session, actor, "hearing.transcript", "hearing", hearing.id, {"document": document.id}
    )
    return document
