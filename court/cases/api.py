"""A litigant's cases."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import url_for

from court import components
from court.accounts.models import LITIGANT_SIDE, Account
from court.accounts.principal import current_account
from court.api import api
from court.api.models import PublicModel
from court.api.routing import principal
from court.audit import Actor
from court.cases import linking, services
from court.db import db
from court.eservice.services import served_in_case
from court.filing.guidance import case_next_step
from court.hearing.models import Hearing
from court.hearing.notices import serve_hearing_notice
from court.registry.services import documents_to_sign_in_case


class CaseSummary(PublicModel):
    id: str
    case_number: str | None
    title: str
    procedure: str
    state: str
    my_roles: list[str]
    created_at: dt.datetime


class CaseList(PublicModel):
    items: list[CaseSummary]


class PartyPublic(PublicModel):
    id: str
    role: str
    name: str


class HistoryEntry(PublicModel):
    from_state: str | None
    to_state: str
    reason: str | None
    at: dt.datetime


class NextStep(PublicModel):
    code: str
    zh: str
    en: str


class CaseDocument(PublicModel):
    """A document of the case that is mine: served on me, or one I sign (or signed)."""

    #: served: read it (and its service certificate) from the inbox; signing: a document
    #: with a signature field of mine.
    source: Literal["served", "signing"]
    id: str
    kind: str
    title: str
    #: For a document I sign: draft / awaiting_signatures / signed / sealed / superseded /
    #: revoked. For a served one: served, or read once I opened it.
    state: str
    at: dt.datetime
    #: Where this API gives the PDF.
    pdf: str


class CaseDetail(CaseSummary):
    parties: list[PartyPublic]
    history: list[HistoryEntry]
    documents: list[CaseDocument]
    #: What is expected of the litigant next.
    next_step: NextStep


@api.get("/cases", response=CaseList, tags=["cases"], errors=[401], summary="My cases")
def my_cases() -> CaseList:
    return CaseList(
        items=[
            CaseSummary(**case.model_dump(), my_roles=roles)
            for case, roles in services.cases_of(db(), current_account().id)
        ]
    )


@api.get(
    "/cases/<case_id>",
    response=CaseDetail,
    tags=["cases"],
    errors=[401, 404],
    summary="A case with its parties, status history and my documents in it",
)
def case_detail(case_id: str) -> CaseDetail:
    return _detail(current_account().id, case_id)


def _detail(account_id: str, case_id: str) -> CaseDetail:
    case, parties, history = services.case_for_party(db(), account_id, case_id)
    return CaseDetail(
        **case.model_dump(),
        my_roles=[p.role for p in parties if p.account_id == account_id],
        parties=[PartyPublic.model_validate(p) for p in parties],
        history=[HistoryEntry.model_validate(h) for h in history],
        documents=_documents(account_id, case.id),
        next_step=NextStep(
            **{k: v for k, v in case_next_step(case.state).__dict__.items() if k != "due"}
        ),
    )


def _documents(account_id: str, case_id: str) -> list[CaseDocument]:
    served = [
        CaseDocument(
            source="served",
            id=d.id,
            kind=d.kind,
            title=d.title,
            state="read" if d.read_at else "served",
            at=d.served_at,
            pdf=url_for("api_v1.served_pdf", served_id=d.id),
        )
        for d in served_in_case(db(), account_id, case_id)
    ]
    signing = [
        CaseDocument(
            source="signing",
            id=d.id,
            kind=d.kind,
            title=d.title,
            state=d.state,
            at=d.created_at,
            pdf=url_for("api_v1.document_pdf", document_id=d.id),
        )
        for d in documents_to_sign_in_case(db(), account_id, case_id)
    ]
    return sorted([*served, *signing], key=lambda d: d.at)


COURT_ACTOR = Actor.system("hearing-notice")


class CaseInvitation(PublicModel):
    """A case the court notified this phone number about, for a party not yet linked."""

    party_id: str
    case_id: str
    case_number: str | None
    title: str
    role: str
    #: In full once your verified identity is this party's; masked before (张*, 孙*伟).
    name: str
    #: Your verified identity is this party's: linking will succeed.
    is_you: bool
    notified_at: dt.datetime
    #: R3a: link by then to take part in a video hearing (3 days from the notice).
    link_by: dt.datetime


class CaseInvitationList(PublicModel):
    items: list[CaseInvitation]


@api.get(
    "/case-invitations",
    response=CaseInvitationList,
    roles=LITIGANT_SIDE,
    tags=["cases"],
    summary="Cases the court notified my phone number about, waiting for me to link",
)
def case_invitations() -> CaseInvitationList:
    items = []
    account = current_account()
    for party, case in linking.invitations(db(), account):
        if party.notified_at is None or party.link_by is None:  # the query asks for these
            continue
        name, is_you = linking.invitation_name(db(), account, party)
        items.append(
            CaseInvitation(
                party_id=party.id,
                case_id=case.id,
                case_number=case.case_number,
                title=case.title,
                role=party.role,
                name=name,
                is_you=is_you,
                notified_at=party.notified_at,
                link_by=party.link_by,
            )
        )
    return CaseInvitationList(items=items)


@api.post(
    "/case-invitations/<party_id>/link",
    response=CaseDetail,
    roles=LITIGANT_SIDE,
    tags=["cases"],
    errors=[403, 404, 409],
    summary="Link my verified account to the party of the case I was notified as",
)
def link_case(party_id: str) -> CaseDetail:
    """Your verified name must be the party's name in the case (R4). Linked within 3 days of
    the notice, a defendant may take part in a video hearing (R3a)."""
    actor = principal().actor()
    party, booked = linking.link(db(), actor, current_account(), party_id=party_id)
    for participant in booked:  # a hearing already scheduled: its notice, served now
        hearing = db().get(Hearing, participant.hearing_id)
        judge = db().get(Account, hearing.judge_id) if hearing is not None else None
        if hearing is not None and judge is not None:
            # The court issues and serves the notice, not the litigant whose link prompted it.
            serve_hearing_notice(
                db(), components.document_tools(), COURT_ACTOR, hearing, judge, participant
            )
    return _detail(party.account_id or "", party.case_id)
