"""Enrolled devices and their certificates."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id
from court.history import StateMachine


class DeviceState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


DEVICE_MOVES = StateMachine("device", {DeviceState.ACTIVE: frozenset({DeviceState.REVOKED})})


class Device(SQLModel, table=True):
    """A phone's signing key, certified for one verified person. The private key stays on
    the phone; only the certificate is here."""

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    person_id: str = Field(foreign_key="person.id", index=True)
    label: str
    state: str = Field(default=DeviceState.ACTIVE.value)
    #: Certificate serial number, lowercase hex.
    serial: str = Field(unique=True, max_length=64)
    certificate_pem: str = Field(sa_type=Text)
    #: SHA-256 of the SubjectPublicKeyInfo, to refuse enrolling one key twice.
    key_sha256: str = Field(unique=True, max_length=64)
    not_before: dt.datetime = Field(sa_type=UTCDateTime)
    not_after: dt.datetime = Field(sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revocation_reason: str | None = None
