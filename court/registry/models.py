"""Court documents, their revisions, and pending phone signatures."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id
from court.history import StateMachine


class DocumentState(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    SIGNED = "signed"
    SEALED = "sealed"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


DOCUMENT_MOVES = StateMachine(
    "court_document",
    {
        # A notice or a filing packet has no signers: the court seals it at once.
        DocumentState.DRAFT: frozenset(
            {DocumentState.AWAITING_SIGNATURES, DocumentState.SEALED, DocumentState.REVOKED}
        ),
        DocumentState.AWAITING_SIGNATURES: frozenset(
            {DocumentState.SIGNED, DocumentState.SUPERSEDED, DocumentState.REVOKED}
        ),
        DocumentState.SIGNED: frozenset({DocumentState.SEALED, DocumentState.REVOKED}),
        DocumentState.SEALED: frozenset({DocumentState.REVOKED, DocumentState.SUPERSEDED}),
    },
)

SEAL_FIELD = "court-seal"


class CourtDocument(SQLModel, table=True):
    __tablename__ = "court_document"

    id: str = Field(default_factory=new_id, primary_key=True)
    court_id: str = Field(foreign_key="court.id", index=True)
    case_id: str | None = Field(default=None, foreign_key="case.id", index=True)
    #: mediation_agreement, mediation_record, hearing_transcript …
    kind: str
    title: str
    state: str = Field(index=True)
    #: Printed on the document and behind its QR code: 12 characters, grouped 4-4-4.
    short_code: str = Field(unique=True, max_length=14)
    #: The latest revision: its number and SHA-256 (the blob holding it).
    revision: int = 1
    current_sha256: str = Field(max_length=64)
    #: [{field, role, name, account_id}] in signing order; the seal is not listed here.
    signers: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    signed_fields: list[str] = Field(default_factory=list, sa_type=JSON)
    #: Where the court's seal goes (page, x1, y1, x2, y2 in PDF points), from the template.
    seal_box: list[float] | None = Field(default=None, sa_type=JSON)
    #: R15: signed on paper in person, never online; the clerk records the wet-ink scan.
    in_person: bool = False
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class DocumentRevision(SQLModel, table=True):
    """One issued revision of a document, byte for byte (its SHA-256), as logged."""

    __tablename__ = "document_revision"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="court_document.id", index=True)
    number: int
    sha256: str = Field(max_length=64, index=True)
    size: int
    #: issued, signed:<field>, sealed
    reason: str
    account_id: str | None = Field(default=None, foreign_key="account.id")
    log_index: int
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class SigningPreparation(SQLModel, table=True):
    """A prepared phone signature over one revision; only the latest one per document counts."""

    __tablename__ = "signing_preparation"

    id: str = Field(default_factory=new_id, primary_key=True)
    document_id: str = Field(foreign_key="court_document.id", index=True)
    #: The revision it was prepared over: if the document moved on, it is stale.
    base_revision: int
    field_name: str
    account_id: str = Field(foreign_key="account.id")
    device_id: str = Field(foreign_key="device.id")
    prepared_sha256: str = Field(max_length=64)
    document_digest: bytes = Field(sa_type=LargeBinary)
    reserved_start: int
    reserved_end: int
    signed_attributes: bytes = Field(sa_type=LargeBinary)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class WetInkScan(SQLModel, table=True):
    """The scan of a document signed on paper in person (R15), recorded by a clerk."""

    __tablename__ = "wet_ink_scan"

    id: str = Field(default_factory=new_id, primary_key=True)
    document_id: str = Field(foreign_key="court_document.id", index=True)
    sha256: str = Field(max_length=64)
    size: int
    media_type: str
    account_id: str = Field(foreign_key="account.id")
    log_index: int
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
