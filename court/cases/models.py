"""Cases, their parties, and the legal moves of a case."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id
from court.history import StateMachine


class Procedure(enum.StrEnum):
    ORDINARY = "ordinary"
    SIMPLE = "simple"
    SMALL_CLAIMS = "small_claims"
    ENFORCEMENT = "enforcement"


class CaseState(enum.StrEnum):
    PRE_FILING = "pre_filing"
    REGISTERED = "registered"
    IN_MEDIATION = "in_mediation"
    IN_TRIAL = "in_trial"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


CASE_MOVES = StateMachine(
    "case",
    {
        CaseState.PRE_FILING: frozenset({CaseState.REGISTERED, CaseState.CLOSED}),
        CaseState.REGISTERED: frozenset(
            {CaseState.IN_MEDIATION, CaseState.IN_TRIAL, CaseState.WITHDRAWN, CaseState.CLOSED}
        ),
        CaseState.IN_MEDIATION: frozenset(
            {CaseState.IN_TRIAL, CaseState.WITHDRAWN, CaseState.CLOSED}
        ),
        CaseState.IN_TRIAL: frozenset({CaseState.WITHDRAWN, CaseState.CLOSED}),
    },
)


class PartyRole(enum.StrEnum):
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    THIRD_PARTY = "third_party"
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    AGENT = "agent"


PARTY_ROLE_NAMES = {
    PartyRole.PLAINTIFF.value: "原告",
    PartyRole.DEFENDANT.value: "被告",
    PartyRole.THIRD_PARTY.value: "第三人",
    PartyRole.APPLICANT.value: "申请人",
    PartyRole.RESPONDENT.value: "被申请人",
    PartyRole.AGENT.value: "委托代理人",
}


class Case(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    court_id: str = Field(foreign_key="court.id", index=True)
    #: e.g. (2026)浙0203民初123号; None until registered.
    case_number: str | None = Field(default=None, unique=True)
    title: str
    cause_id: int | None = Field(default=None, foreign_key="case_cause.id")
    procedure: str
    state: str
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    registered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaseParty(SQLModel, table=True):
    __tablename__ = "case_party"
    __table_args__ = (UniqueConstraint("case_id", "account_id", "role", name="uq_case_party"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    #: The party's account, once the party has one linked to the case.
    account_id: str | None = Field(default=None, foreign_key="account.id", index=True)
    role: str
    name: str
    #: For an agent: the party represented.
    represents_id: str | None = Field(default=None, foreign_key="case_party.id")
    #: The phone number the court notified an unlinked party at; that party, signed in
    #: with this number and verified under this name, may link their account (R3a).
    phone: str | None = Field(default=None, index=True, max_length=20)
    #: When the court notified the party of the case (R3a counts 3 days from here).
    notified_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: R3a: the end of the 3 days from the notice, as the Civil Procedure Law counts them
    #: (from the next day; a last day that is a holiday moves to the next working day).
    link_by: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the court last texted the party (the notice, or a repeat of it).
    texted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the party's verified account was linked to the case.
    linked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The complaint's ID number for the party, as an HMAC (like ``Person.id_match``):
    #: when the complaint gave one, only that person can link as this party.
    id_type: str | None = Field(default=None, max_length=20)
    id_match: str | None = Field(default=None, max_length=64)
