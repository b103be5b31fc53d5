"""Reading cases for the people in them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from court.cases.models import Case, CaseParty
from court.errors import NotFound
from court.history import StateHistory, history_of


def cases_of(session: Session, account_id: str) -> list[tuple[Case, list[str]]]:
    """Return the cases an account is a party or agent in, newest first, with its roles."""
    rows = session.exec(
        select(Case, CaseParty.role)
        .join(CaseParty, col(CaseParty.case_id) == Case.id)
        .where(CaseParty.account_id == account_id)
        .order_by(col(Case.created_at).desc(), col(Case.id))
    ).all()
    grouped: dict[str, tuple[Case, list[str]]] = {}
    for case, role in rows:
        grouped.setdefault(case.id, (case, []))[1].append(role)
    return list(grouped.values())


def case_for_party(
    session: Session, account_id: str, case_id: str
) -> tuple[Case, list[CaseParty], list[StateHistory]]:
    """Return a case the account takes part in; any other case is reported as not found."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound({"case": case_id})
    parties = list(
        session.exec(
            select(CaseParty).where(CaseParty.case_id == case.id).order_by(col(CaseParty.id))
        )
    )
    if not any(p.account_id == account_id for p in parties):
        raise NotFound({"case": case_id})
    return case, parties, history_of(session, "case", case.id)
