"""Case causes (案由) as versioned data; rules read their tags, never their codes."""

from __future__ import annotations

import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class CauseTag(enum.StrEnum):
    #: Marriage, adoption, inheritance and the status special procedures (R15).
    PERSONAL_STATUS = "personal_status"
    #: A typical simple civil or commercial dispute (R17).
    SIMPLE_CIVIL_COMMERCIAL = "simple_civil_commercial"


class CaseCause(SQLModel, table=True):
    __tablename__ = "case_cause"
    __table_args__ = (UniqueConstraint("scheme", "code", name="uq_case_cause_code"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The version of the scheme, e.g. "2020".
    scheme: str = Field(index=True)
    code: str
    level: int
    parent_code: str | None = None
    name: str
    #: Numbering as printed in the scheme (第一部分, 一, 1), when known.
    official_no: str | None = None


class CaseCauseTag(SQLModel, table=True):
    __tablename__ = "case_cause_tag"

    cause_id: int = Field(foreign_key="case_cause.id", primary_key=True)
    tag: str = Field(primary_key=True, index=True)
