"""Courts, accounts, staff sessions, API tokens and one-time codes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id


class Role(enum.StrEnum):
    LITIGANT = "litigant"
    AGENT = "agent"
    CLERK = "clerk"
    JUDGE = "judge"
    MEDIATOR = "mediator"
    ADMIN = "admin"


#: Roles that sign in with a password in the browser.
STAFF_ROLES = frozenset({Role.CLERK, Role.JUDGE, Role.MEDIATOR, Role.ADMIN})
#: Roles that sign in with a phone code through the mini-app.
PHONE_ROLES = frozenset({Role.LITIGANT, Role.AGENT})
#: The same roles, as API endpoints list who may call them.
LITIGANT_SIDE: tuple[str, ...] = (Role.LITIGANT.value, Role.AGENT.value)


class AccountState(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class Court(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    #: As printed in case numbers, e.g. 浙0203.
    code: str = Field(unique=True, max_length=8)
    name: str


class Account(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(
            "(phone IS NOT NULL) OR (username IS NOT NULL)", name="ck_account_has_login"
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    role: str = Field(index=True)
    state: str = Field(default=AccountState.ACTIVE.value)
    display_name: str
    #: Litigants and agents sign in by phone (normalised, 11 digits).
    phone: str | None = Field(default=None, unique=True, max_length=11)
    #: Staff sign in by user name and password.
    username: str | None = Field(default=None, unique=True, max_length=64)
    password_hash: str | None = None
    court_id: str | None = Field(default=None, foreign_key="court.id", index=True)
    #: The verified real-name identity (R4), once verified.
    person_id: str | None = Field(default=None, foreign_key="person.id", unique=True)
    failed_logins: int = 0
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    __tablename__ = "staff_session"

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    #: SHA-256 of the random cookie value; the value itself is never stored.
    token_sha256: str = Field(unique=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    address: str | None = None
    user_agent: str | None = None


class TokenKind(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    kind: str
    #: SHA-256 of the 256-bit random token; the token itself is never stored.
    token_sha256: str = Field(unique=True)
    #: Tokens issued from one sign-in share a family; reuse of a spent refresh token
    #: revokes the whole family (it was stolen or replayed).
    family_id: str = Field(index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    address: str | None = None


class OtpCode(SQLModel, table=True):
    __tablename__ = "otp_code"

    id: str = Field(default_factory=new_id, primary_key=True)
    phone: str = Field(index=True, max_length=11)
    #: HMAC of phone and code under the server's data key: a dump reveals no codes.
    code_hmac: str
    address: str | None = Field(default=None, index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    consumed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
