"""Verified persons, re-verification challenges and their results."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id


class IdType(enum.StrEnum):
    RESIDENT_ID = "resident_id"
    CREDIT_CODE = "credit_code"


class ReverifyPurpose(enum.StrEnum):
    """What a fresh verification is for (R5: mediation, evidence exchange, hearings)."""

    MEDIATION = "mediation"
    EVIDENCE_EXCHANGE = "evidence_exchange"
    HEARING = "hearing"
    SIGNING = "signing"


class Person(SQLModel, table=True):
    """A real-name identity (R4). The ID number is stored only matched and sealed."""

    __table_args__ = (UniqueConstraint("id_type", "id_match", name="uq_person_id"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    kind: str
    name: str
    id_type: str
    #: HMAC of the number under a key outside the database: for matching only.
    id_match: str = Field(max_length=64)
    #: AES-GCM ciphertext of the number.
    id_sealed: bytes = Field(sa_type=LargeBinary)
    #: e.g. 330***********1234, safe to show.
    id_masked: str
    #: How identity was established (R4), e.g. "development:format-check-only".
    verification_method: str
    verification_ref: str | None = None
    #: A lawyer's practising certificate number, when the person acts as an agent.
    lawyer_licence: str | None = None
    verified_at: dt.datetime = Field(sa_type=UTCDateTime)


class ReverifyChallenge(SQLModel, table=True):
    __tablename__ = "reverify_challenge"

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    purpose: str
    challenge: str = Field(unique=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    #: Set when spent: a challenge is good for one signature only.
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Reverification(SQLModel, table=True):
    """A successful re-verification (R5): the person signed a fresh challenge."""

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    device_id: str = Field(foreign_key="device.id")
    challenge_id: str = Field(foreign_key="reverify_challenge.id", unique=True)
    purpose: str
    verified_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
