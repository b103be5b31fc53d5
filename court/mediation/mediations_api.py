"""Mediation for the parties' phones: request, answer the invitation, choose the mediator,
follow the time limits, join sessions, sign or refuse the papers, apply for confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field
from sqlmodel import Session, select

from court import components
from court.accounts.models import LITIGANT_SIDE, Account
from court.accounts.principal import current_account
from court.accounts.services import get_court_by_code
from court.api import api
from court.api.models import ApiModel, PublicModel
from court.api.routing import principal
from court.db import db
from court.mediation import meetings, papers, services
from court.mediation.models import (
    GROUND_NAMES,
    Confirmation,
    Mediation,
    MediationParty,
    TerminationGround,
)
from court.registry.models import CourtDocument
from court.registry.services import open_field

PHONE = r"^1[3-9]\d{9}$"


class RespondentIn(ApiModel):
    name: Annotated[str, Field(min_length=2, max_length=50)]
    phone: Annotated[str, Field(pattern=PHONE)]


class MediationRequestIn(ApiModel):
    """诉前: leave ``case_id`` out and name the other parties. 诉中: give your case's id."""

    cause_id: int
    summary: Annotated[str, Field(min_length=10, max_length=4000)]
    claim: Annotated[str, Field(max_length=2000)] = ""
    #: R23: where court papers reach you; giving it here is consent to electronic service.
    service_address: Annotated[str, Field(min_length=3, max_length=200)]
    respondents: Annotated[list[RespondentIn], Field(default_factory=list, max_length=10)]
    case_id: Annotated[str | None, Field(max_length=64)] = None


class AnswerIn(ApiModel):
    agree: bool
    #: R23: replying with an address is acceptance of electronic service.
    service_address: Annotated[str, Field(max_length=200)] = ""


class ChoiceIn(ApiModel):
    mediator_id: Annotated[str, Field(min_length=1, max_length=64)]


class ReasonIn(ApiModel):
    reason: Annotated[str, Field(min_length=2, max_length=2000)]


class ExtensionIn(ApiModel):
    days: Annotated[int, Field(ge=1, le=services.MAX_EXTENSION_DAYS)]


class PartyPublic(PublicModel):
    side: str
    name: str
    answer: str
    me: bool
    chosen_mediator_id: str | None
    extension_agreed: int | None
    confirmation_applied: bool


class DeadlinePublic(PublicModel):
    what: str
    due: dt.date
    rule: str


class PaperPublic(PublicModel):
    document_id: str
    kind: str
    version: int
    #: False once a later version superseded it.
    current: bool
    state: str
    short_code: str
    in_person: bool
    #: The field I still have to sign, if any (sign through /documents/{id}/signing).
    my_field: str | None


class SessionPublic(PublicModel):
    id: str
    starts_at: dt.datetime
    mode: str
    state: str


class MediationPublic(PublicModel):
    id: str
    stage: str
    state: str
    case_id: str | None
    cause_id: int
    personal_status: bool
    summary: str
    claim: str
    created_at: dt.datetime
    parties: list[PartyPublic]
    mediator_id: str | None
    mediator_name: str | None
    mediator_via: str | None
    disclosure: str | None
    deadlines: list[DeadlinePublic]
    extended_days: int
    extension_proposed: int | None
    papers: list[PaperPublic]
    sessions: list[SessionPublic]
    ground: str | None
    ground_name: str | None
    undisputed_facts: str | None
    cost_conduct: str | None
    effective_at: dt.datetime | None
    confirmation: str | None


class MediationList(PublicModel):
    items: list[MediationPublic]


def _deadlines(mediation: Mediation) -> list[DeadlinePublic]:
    found = []
    if mediation.choose_by:
        found.append(DeadlinePublic(what="共同选择调解员", due=mediation.choose_by, rule="R11"))
    if mediation.assign_by and mediation.state == "awaiting_assignment":
        found.append(DeadlinePublic(what="法院指定调解员", due=mediation.assign_by, rule="R11"))
    if mediation.accept_by and mediation.state == "awaiting_acceptance":
        found.append(DeadlinePublic(what="调解员决定是否接受", due=mediation.accept_by, rule="R11"))
    if mediation.due_on:
        found.append(DeadlinePublic(what="调解期限", due=mediation.due_on, rule="R13"))
    return found


def mediation_public(session: Session, mediation: Mediation, account: Account) -> MediationPublic:
    parties = services.parties_of(session, mediation.id)
    mediator = services.mediator_of(session, mediation)
    papers_out = []
    for paper in papers.current_papers(session, mediation.id):
        document = session.get(CourtDocument, paper.document_id)
        assert document is not None
        papers_out.append(
            PaperPublic(
                document_id=document.id,
                kind=paper.kind,
                version=paper.version,
                current=paper.current,
                state=document.state,
                short_code=document.short_code,
                in_person=document.in_person,
                my_field=open_field(document, account.id)
                if document.state == "awaiting_signatures" and not document.in_person
                else None,
            )
        )
    confirmation = session.exec(
        select(Confirmation).where(Confirmation.mediation_id == mediation.id)
    ).first()
    return MediationPublic(
        **mediation.model_dump(
            include={
                "id",
                "stage",
                "state",
                "case_id",
                "cause_id",
                "personal_status",
                "summary",
                "claim",
                "created_at",
                "mediator_id",
                "mediator_via",
                "disclosure",
                "extended_days",
                "extension_proposed",
                "ground",
                "undisputed_facts",
                "cost_conduct",
                "effective_at",
            }
        ),
        parties=[_party_public(p, account) for p in parties],
        mediator_name=mediator.name if mediator else None,
        deadlines=_deadlines(mediation),
        papers=papers_out,
        sessions=[
            SessionPublic.model_validate(s) for s in meetings.sessions_of(session, mediation.id)
        ],
        ground_name=GROUND_NAMES[TerminationGround(mediation.ground)] if mediation.ground else None,
        confirmation=confirmation.state if confirmation else None,
    )


def _party_public(party: MediationParty, account: Account) -> PartyPublic:
    return PartyPublic(
        side=party.side,
        name=party.name,
        answer=party.answer,
        me=party.account_id == account.id
        or (party.account_id is None and party.phone == account.phone),
        chosen_mediator_id=party.chosen_mediator_id,
        extension_agreed=party.extension_agreed,
        confirmation_applied=party.confirmation_applied_at is not None,
    )


def _reply(mediation: Mediation) -> MediationPublic:
    return mediation_public(db(), mediation, current_account())


@api.post(
    "/mediations",
    body=MediationRequestIn,
    response=MediationPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[403, 404, 409, 422],
    summary="Ask for mediation, before filing (诉前) or within my case (诉中)",
)
def request_mediation(body: MediationRequestIn) -> MediationPublic:
    """The other parties are invited by their phone numbers (within a case, the case's other
    parties are invited when none are named). Needs a verified identity (R4)."""
    court = get_court_by_code(db(), components.settings().court_code)
    mediation = services.request_mediation(
        db(),
        principal().actor(),
        current_account(),
        components.working_calendar(),
        court_id=court.id,
        request=services.Request(
            cause_id=body.cause_id,
            summary=body.summary,
            claim=body.claim,
            service_address=body.service_address,
            respondents=[services.OtherParty(r.name, r.phone) for r in body.respondents],
            case_id=body.case_id,
        ),
    )
    return _reply(mediation)


@api.get(
    "/mediations",
    response=MediationList,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    summary="My mediations, and invitations to mediate sent to my phone number",
)
def my_mediations() -> MediationList:
    account = current_account()
    return MediationList(
        items=[mediation_public(db(), m, account) for m in services.of_account(db(), account)]
    )


@api.get(
    "/mediations/<mediation_id>",
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404],
    summary="One of my mediations: parties, mediator, deadlines, papers, outcome",
)
def read_mediation(mediation_id: str) -> MediationPublic:
    mediation, _ = services.for_party(db(), current_account(), mediation_id)
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/answer",
    body=AnswerIn,
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[403, 404, 409],
    summary="Agree to mediate, or decline the invitation",
)
def answer(mediation_id: str, body: AnswerIn) -> MediationPublic:
    """Your verified name must be the name you were invited under."""
    mediation = services.answer_invitation(
        db(),
        principal().actor(),
        current_account(),
        components.working_calendar(),
        mediation_id=mediation_id,
        agree=body.agree,
        service_address=body.service_address,
    )
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/choice",
    body=ChoiceIn,
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[403, 404, 409],
    summary="Name the mediator I choose; the same name from every party is the joint choice",
)
def choose(mediation_id: str, body: ChoiceIn) -> MediationPublic:
    """Within 2 working days after every party agreed (R11); afterwards the court assigns."""
    mediation = services.choose_mediator(
        db(),
        principal().actor(),
        current_account(),
        components.working_calendar(),
        mediation_id=mediation_id,
        mediator_id=body.mediator_id,
    )
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/change-request",
    body=ReasonIn,
    response=MediationPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409],
    summary="Ask the court to change the mediator (R12)",
)
def change_request(mediation_id: str, body: ReasonIn) -> MediationPublic:
    services.ask_for_change(
        db(), principal().actor(), current_account(), mediation_id=mediation_id, reason=body.reason
    )
    mediation, _ = services.for_party(db(), current_account(), mediation_id)
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/extension",
    body=ExtensionIn,
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409, 422],
    summary="Propose, or agree to, extending the time limit (R13: every party must agree)",
)
def extension(mediation_id: str, body: ExtensionIn) -> MediationPublic:
    mediation = services.agree_to_extension(
        db(), principal().actor(), current_account(), mediation_id=mediation_id, days=body.days
    )
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/sessions/<session_id>/join",
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[403, 404, 409],
    summary="Join an open mediation session (re-verify identity first: R5)",
)
def join_session(mediation_id: str, session_id: str) -> MediationPublic:
    """Refused with 403 reverification_required unless the identity was re-verified for
    the purpose "mediation" within the freshness window."""
    meetings.join(
        db(),
        components.settings(),
        principal().actor(),
        current_account(),
        mediation_id=mediation_id,
        session_id=session_id,
    )
    mediation, _ = services.for_party(db(), current_account(), mediation_id)
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/sessions/<session_id>/leave",
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404],
    summary="Leave a mediation session",
)
def leave_session(mediation_id: str, session_id: str) -> MediationPublic:
    meetings.leave(
        db(),
        principal().actor(),
        current_account(),
        mediation_id=mediation_id,
        session_id=session_id,
    )
    mediation, _ = services.for_party(db(), current_account(), mediation_id)
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/agreement/refusal",
    body=ReasonIn,
    response=MediationPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409],
    summary="Refuse to sign the agreement: the mediation ends on that ground (R16)",
)
def refuse(mediation_id: str, body: ReasonIn) -> MediationPublic:
    mediation = papers.refuse_to_sign(
        db(),
        components.evidence_log(),
        principal().actor(),
        current_account(),
        mediation_id=mediation_id,
        reason=body.reason,
    )
    return _reply(mediation)


@api.post(
    "/mediations/<mediation_id>/confirmation",
    response=MediationPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409],
    summary="Apply, jointly with the other parties, for judicial confirmation (司法确认)",
)
def apply_for_confirmation(mediation_id: str) -> MediationPublic:
    """Only for a pre-filing agreement that took effect within the last 30 days; never for
    a personal-status relation (R15). With every party in, a judge decides."""
    papers.apply_for_confirmation(
        db(), principal().actor(), current_account(), mediation_id=mediation_id
    )
    mediation, _ = services.for_party(db(), current_account(), mediation_id)
    return _reply(mediation)
