"""Submissions, their photographed pages, resumable uploads, and case-number counters."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id
from court.history import StateMachine


class SubmissionKind(enum.StrEnum):
    COMPLAINT = "complaint"  # 起诉
    WITHDRAWAL = "withdrawal"  # 撤诉
    ENFORCEMENT = "enforcement"  # 执行申请
    EVIDENCE = "evidence"  # 证据
    CORRECTION = "correction"  # 补正


#: Kinds that are about an existing case and must name it.
KINDS_NAMING_A_CASE = frozenset({SubmissionKind.WITHDRAWAL, SubmissionKind.EVIDENCE})


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CORRECTION_REQUESTED = "correction_requested"
    CORRECTED = "corrected"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


SUBMISSION_MOVES = StateMachine(
    "submission",
    {
        SubmissionState.DRAFT: frozenset({SubmissionState.SUBMITTED}),
        SubmissionState.SUBMITTED: frozenset(
            {
                SubmissionState.ACCEPTED,
                SubmissionState.CORRECTION_REQUESTED,
                SubmissionState.REJECTED,
            }
        ),
        # R7: one correction notice; the correction brings the filing back for review.
        SubmissionState.CORRECTION_REQUESTED: frozenset(
            {SubmissionState.CORRECTED, SubmissionState.REJECTED}
        ),
        SubmissionState.CORRECTED: frozenset({SubmissionState.ACCEPTED, SubmissionState.REJECTED}),
    },
)


class Submission(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    court_id: str = Field(foreign_key="court.id", index=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    kind: str
    state: str = Field(index=True)
    #: The case a withdrawal, evidence or correction is about.
    case_id: str | None = Field(default=None, foreign_key="case.id", index=True)
    #: For a correction: the filing it corrects.
    corrects_id: str | None = Field(default=None, foreign_key="submission.id")
    #: Parties, claims, facts and (for enforcement, R9) the document enforced, as entered.
    details: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    #: Single-use, expiring server challenge the signed manifest must carry.
    challenge: str = Field(unique=True)
    challenge_expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    challenge_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The exact canonical manifest bytes that were signed (RFC 8785), and their hash.
    manifest: str | None = Field(default=None, sa_type=Text)
    manifest_sha256: str | None = None
    signature: bytes | None = Field(default=None, sa_type=LargeBinary)
    device_id: str | None = Field(default=None, foreign_key="device.id")
    #: Optional handwritten-signature image drawn on the phone (blob).
    handwriting_sha256: str | None = None
    log_index: int | None = None
    #: R7: what the one correction notice asked for, and by when.
    correction_items: list[str] | None = Field(default=None, sa_type=JSON)
    correction_deadline: dt.date | None = None
    #: The sealed filing-packet PDF (blob), bound at registration.
    packet_sha256: str | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    signed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: R7: the acceptance period runs from this date (restarts the day after a correction).
    review_period_start: dt.date | None = None


class Page(SQLModel, table=True):
    """One photographed page: the original byte for byte, and a derived display copy."""

    __table_args__ = (UniqueConstraint("submission_id", "position", name="uq_page_position"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    submission_id: str = Field(foreign_key="submission.id", index=True)
    position: int
    original_sha256: str = Field(max_length=64)
    original_size: int
    format: str
    width: int
    height: int
    display_sha256: str = Field(max_length=64)
    display_width: int
    display_height: int
    #: R25 capture metadata: who uploaded from which device, when, and the photo's own time.
    uploader_id: str = Field(foreign_key="account.id")
    uploaded_at: dt.datetime = Field(sa_type=UTCDateTime)
    captured_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_device: str | None = None
    warnings: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)


class Upload(SQLModel, table=True):
    """A resumable upload (tus 1.0) of one page; the bytes so far live in a part file."""

    id: str = Field(default_factory=new_id, primary_key=True)
    submission_id: str = Field(foreign_key="submission.id", index=True)
    account_id: str = Field(foreign_key="account.id")
    position: int
    length: int
    offset: int = 0
    #: The SHA-256 the client declared; the completed bytes must match it.
    declared_sha256: str = Field(max_length=64)
    client_device: str | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    page_id: str | None = Field(default=None, foreign_key="page.id")


class CaseSerial(SQLModel, table=True):
    """The last serial used per court, year and case type (民初, 执 …)."""

    __tablename__ = "case_serial"

    court_id: str = Field(foreign_key="court.id", primary_key=True)
    year: int = Field(primary_key=True)
    type_code: str = Field(primary_key=True)
    last: int = 0
