"""A litigant's cases."""

from __future__ import annotations

import datetime as dt

from court.accounts.principal import current_account
from court.api import api
from court.api.models import PublicModel
from court.cases import services
from court.db import db
from court.filing.guidance import case_next_step


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
    account = current_account()
    case, parties, history = services.case_for_party(db(), account.id, case_id)
    return CaseDetail(
        **case.model_dump(),
        my_roles=[p.role for p in parties if p.account_id == account.id],
        parties=[PartyPublic.model_validate(p) for p in parties],
        history=[HistoryEntry.model_validate(h) for h in history],
        next_step=NextStep(
            **{k: v for k, v in case_next_step(case.state).__dict__.items() if k != "due"}
        ),
    )
