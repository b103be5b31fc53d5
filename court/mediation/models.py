"""The published directory of mediators (R10) and complaints about them (OMR 29)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, Text, text
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id


class MediatorType(enum.StrEnum):
    PEOPLES = "peoples"  # 人民调解员
    LAWYER = "lawyer"  # 律师调解员
    WOMENS_FEDERATION = "womens_federation"  # 妇联调解员
    COMMUNITY_ELDER = "community_elder"  # 老娘舅 / 社区调解员
    INVITED = "invited"  # 特邀调解员
    JUDGE = "judge"  # 法官


MEDIATOR_TYPE_NAMES = {
    MediatorType.PEOPLES: "人民调解员",
    MediatorType.LAWYER: "律师调解员",
    MediatorType.WOMENS_FEDERATION: "妇联调解员",
    MediatorType.COMMUNITY_ELDER: "老娘舅（社区调解员）",
    MediatorType.INVITED: "特邀调解员",
    MediatorType.JUDGE: "法官",
}


class Mediator(SQLModel, table=True):
    """One entry of the directory, as R10 requires it to be published."""

    id: str = Field(default_factory=new_id, primary_key=True)
    #: The staff account the mediator works with in the browser, if they have one.
    account_id: str | None = Field(default=None, foreign_key="account.id", unique=True)
    name: str = Field(index=True)
    type: str = Field(index=True)
    organisation: str
    #: The court that invited the mediator (R10: the inviting court is published).
    court_id: str = Field(foreign_key="court.id", index=True)
    expertise: str = Field(default="", sa_type=Text)
    #: Comma-separated, e.g. "普通话,宁波话".
    languages: str = ""
    charges_fee: bool = Field(default=False, index=True)
    fee_note: str = ""
    availability: str = ""
    active: bool = Field(default=True, index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class MediatorArea(SQLModel, table=True):
    """A dispute area a mediator accepts: a case-cause tag or a case-cause code."""

    __tablename__ = "mediator_area"

    mediator_id: str = Field(foreign_key="mediator.id", primary_key=True)
    area: str = Field(primary_key=True, index=True)


class MediatorComplaint(SQLModel, table=True):
    """A complaint about a mediator (OMR 29), for the administrator to look into."""

    __tablename__ = "mediator_complaint"

    id: str = Field(default_factory=new_id, primary_key=True)
    mediator_id: str = Field(foreign_key="mediator.id", index=True)
    account_id: str = Field(foreign_key="account.id")
    text: str = Field(sa_type=Text)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class AppointmentState(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class Appointment(SQLModel, table=True):
    """A consultation booked in a mediator's calendar. One booked appointment per slot: a
    partial unique index refuses the second booking even when both arrive at once."""

    __table_args__ = (
        Index(
            "uq_appointment_booked_slot",
            "mediator_id",
            "starts_at",
            unique=True,
            sqlite_where=text("state = 'booked'"),
            postgresql_where=text("state = 'booked'"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    mediator_id: str = Field(foreign_key="mediator.id", index=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)
    topic: str = Field(default="", sa_type=Text)
    state: str = Field(default=AppointmentState.BOOKED.value)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    cancelled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
