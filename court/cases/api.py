"""A litigant's cases."""

from __future__ import annotations

import datetime as dt

from court import components
from court.accounts.models import LITIGANT_SIDE, Account
from court.accounts.principal import current_account
from court.api import api
from court.api.models import PublicModel
from court.api.routing import principal
from court.audit import Actor
from court.cases import linking, services
from court.db import db
from court.filing.guidance import case_next_step
from court.hearing.models import Hearing
from court.hearing.notices import serve_hearing_notice


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


class CaseDetail(CaseSummary):
    parties: list[PartyPublic]
    history: list[HistoryEntry]
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
    summary="A case with its parties and status history",
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
        next_step=NextStep(
            **{k: v for k, v in case_next_step(case.state).__dict__.items() if k != "due"}
        ),
    )


COURT_ACTOR = Actor.system("hearing-notice")


class CaseInvitation(PublicModel):
    """A case the court notified this phone number about, for a party not yet linked."""

    party_id: str
    case_id: str
    case_number: str | None
    title: str
    role: str
    name: str
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
    for party, case in linking.invitations(db(), current_account()):
        if party.notified_at is None or party.link_by is None:  # the query asks for these
            continue
        items.append(
            CaseInvitation(
                party_id=party.id,
                case_id=case.id,
                case_number=case.case_number,
                title=case.title,
                role=party.role,
                name=party.name,
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
