"""Threads: the messages and attachments of a mediation, a consultation (appointment) or a
hearing's text channel. One table each, a row in exactly one thread."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id


class Attachment(SQLModel, table=True):
    """A file someone attached to a thread, kept in the blob store by its SHA-256."""

    __tablename__ = "thread_attachment"

    id: str = Field(default_factory=new_id, primary_key=True)
    mediation_id: str | None = Field(default=None, foreign_key="mediation.id", index=True)
    appointment_id: str | None = Field(default=None, foreign_key="appointment.id", index=True)
    hearing_id: str | None = Field(default=None, foreign_key="hearing.id", index=True)
    account_id: str = Field(foreign_key="account.id")
    sha256: str = Field(max_length=64)
    size: int
    media_type: str
    name: str
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


#: A message belongs to exactly one thread.
ONE_THREAD = (
    "(CASE WHEN mediation_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN appointment_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN hearing_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Message(SQLModel, table=True):
    """One message of a mediation's thread, a consultation's, or a hearing's text channel;
    ``id`` orders the thread."""

    __tablename__ = "thread_message"
    __table_args__ = (CheckConstraint(ONE_THREAD, name="ck_message_one_thread"),)

    id: int | None = Field(default=None, primary_key=True)
    mediation_id: str | None = Field(default=None, foreign_key="mediation.id", index=True)
    appointment_id: str | None = Field(default=None, foreign_key="appointment.id", index=True)
    hearing_id: str | None = Field(default=None, foreign_key="hearing.id", index=True)
    #: None for a message from the system (a reminder, a change of state).
    account_id: str | None = Field(default=None, foreign_key="account.id")
    author: str
    body: str = Field(sa_type=Text)
    attachment_id: str | None = Field(default=None, foreign_key="thread_attachment.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
