"""Serving the hearing notice (开庭通知书) on every party who has an account."""

from __future__ import annotations

from sqlmodel import Session

from court.accounts.models import Account, Court
from court.audit import Actor
from court.db import utcnow
from court.eservice.models import ConsentGround
from court.eservice.services import serve_document
from court.hearing.models import PARTY_ROLES, ROLE_NAMES, Hearing, Participant, ParticipantRole
from court.hearing.services import participants_of
from court.registry.services import DocumentTools, issue_sealed


def serve_hearing_notices(
    session: Session, tools: DocumentTools, actor: Actor, hearing: Hearing, judge: Account
) -> int:
    """Render, seal and serve a notice to each party and agent with an account. Their
    consent to electronic service is the e-address of the mini-app account they linked to
    the case with (R23: an act showing acceptance)."""
    served = 0
    for participant in participants_of(session, hearing.id):
        served += serve_hearing_notice(session, tools, actor, hearing, judge, participant)
    return served


def serve_hearing_notice(
    session: Session,
    tools: DocumentTools,
    actor: Actor,
    hearing: Hearing,
    judge: Account,
    participant: Participant,
) -> int:
    """Serve the notice on one participant if they are a party or an agent with an account
    (at scheduling, or when a party links to the case later); return how many were served."""
    role = ParticipantRole(participant.role)
    if participant.account_id is None or (
        role not in PARTY_ROLES and role != ParticipantRole.AGENT
    ):
        return 0
    court = session.get(Court, hearing.court_id)
    document = issue_sealed(
        session,
        tools.blobs,
        tools.log,
        actor,
        court_id=hearing.court_id,
        case_id=hearing.case_id,
        kind="hearing_notice",
        title="开庭通知书",
        template="hearing_notice.html",
        context={
            "court_name": court.name if court else "",
            "number": None,
            "case_number": hearing.title.split(" ", 1)[0],
            "case_title": hearing.title.split(" ", 1)[-1],
            "recipient": participant.name,
            "role": ROLE_NAMES[role],
            "scheduled_at": hearing.scheduled_at,
            "mode_text": "经同意可在线视频开庭（移动微法院），否则到庭",
            "judge": judge.display_name,
            "issued_at": utcnow(),
        },
        base_url=tools.base_url,
        seal=tools.seal,
        timestamper=tools.timestamper,
    )
    with tools.blobs.open(document.current_sha256) as fh:
        pdf = fh.read()
    serve_document(
        session,
        tools.blobs,
        tools.log,
        actor,
        court_id=hearing.court_id,
        recipient_account_id=participant.account_id,
        kind="hearing_notice",
        title=f"开庭通知书（{hearing.title.split(' ', 1)[0]}）",
        pdf=pdf,
        consent=ConsentGround.REPLY_OR_ACT,
        case_id=hearing.case_id,
    )
    return 1
