"""Hearings, their participants, consent to the hearing stage (R3b), the judge's findings and
eligibility decisions, self-tests and attendance."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id
from court.history import StateMachine


class HearingState(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_SESSION = "in_session"
    PAUSED = "paused"  # a short break; people stay connected
    SUSPENDED = "suspended"  # adjourned; to be resumed at another time
    CLOSED = "closed"
    CANCELLED = "cancelled"


HEARING_MOVES = StateMachine(
    "hearing",
    {
        HearingState.NOT_STARTED: frozenset({HearingState.IN_SESSION, HearingState.CANCELLED}),
        HearingState.IN_SESSION: frozenset(
            {HearingState.PAUSED, HearingState.SUSPENDED, HearingState.CLOSED}
        ),
        HearingState.PAUSED: frozenset(
            {HearingState.IN_SESSION, HearingState.SUSPENDED, HearingState.CLOSED}
        ),
        HearingState.SUSPENDED: frozenset({HearingState.IN_SESSION, HearingState.CLOSED}),
    },
)

STATE_NAMES = {
    HearingState.NOT_STARTED: "未开庭",
    HearingState.IN_SESSION: "庭审中",
    HearingState.PAUSED: "休庭（暂停）",
    HearingState.SUSPENDED: "中止（择期继续）",
    HearingState.CLOSED: "已闭庭",
    HearingState.CANCELLED: "已取消",
}


class ParticipantRole(enum.StrEnum):
    JUDGE = "judge"
    CLERK = "clerk"
    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    THIRD_PARTY = "third_party"
    AGENT = "agent"
    INTERPRETER = "interpreter"
    WITNESS = "witness"


ROLE_NAMES = {
    ParticipantRole.JUDGE: "审判员",
    ParticipantRole.CLERK: "书记员",
    ParticipantRole.PLAINTIFF: "原告",
    ParticipantRole.DEFENDANT: "被告",
    ParticipantRole.THIRD_PARTY: "第三人",
    ParticipantRole.AGENT: "委托诉讼代理人",
    ParticipantRole.INTERPRETER: "翻译人员",
    ParticipantRole.WITNESS: "证人",
}
#: Roles that are parties for consent and eligibility (R1, R2).
PARTY_ROLES = frozenset(
    {ParticipantRole.PLAINTIFF, ParticipantRole.DEFENDANT, ParticipantRole.THIRD_PARTY}
)
COURT_ROLES = frozenset({ParticipantRole.JUDGE, ParticipantRole.CLERK})


class Hearing(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    court_id: str = Field(foreign_key="court.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    judge_id: str = Field(foreign_key="account.id", index=True)
    title: str
    scheduled_at: dt.datetime = Field(sa_type=UTCDateTime)
    state: str = Field(index=True)
    #: video / hybrid / offline — from the latest eligibility decision.
    mode: str = "offline"
    #: R21: recording is on unless the court decides otherwise; nobody else records.
    recording: bool = True
    recording_sha256: str | None = Field(default=None, max_length=64)
    recording_log_index: int | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    opened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Participant(SQLModel, table=True):
    __tablename__ = "hearing_participant"
    __table_args__ = (
        UniqueConstraint("hearing_id", "account_id", "role", name="uq_hearing_participant"),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    #: None for someone without an account (they attend in the courtroom).
    account_id: str | None = Field(default=None, foreign_key="account.id", index=True)
    #: The case's party record this place was booked for (None for witnesses, interpreters
    #: and court staff): a party linking later is booked by it, not by name.
    case_party_id: str | None = Field(default=None, foreign_key="case_party.id", index=True)
    role: str
    name: str
    #: Whether they take part online (R2), from the latest decision; court staff always are.
    online: bool = False
    #: invited / waiting / admitted / removed / left
    presence: str = "invited"
    muted: bool = False
    joined_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class HearingConsent(SQLModel, table=True):
    """R3b: who consented, to what stage of which case, how, to which notice text, when —
    signed with the party's device key."""

    __tablename__ = "hearing_consent"

    id: str = Field(default_factory=new_id, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    stage: str = "hearing"
    #: explicit (signed this notice) / active_choice (chose online on their own)
    how: str = "explicit"
    notice_version: str
    notice_sha256: str = Field(max_length=64)
    statement: dict[str, object] = Field(sa_type=JSON)
    signature: bytes = Field(sa_type=LargeBinary)
    device_id: str = Field(foreign_key="device.id")
    certificate_serial: str
    log_index: int
    given_at: dt.datetime = Field(sa_type=UTCDateTime)
    withdrawn_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Objection(SQLModel, table=True):
    """A party objects to the video hearing, with reasons; the judge weighs them (R18)."""

    __tablename__ = "hearing_objection"

    id: str = Field(default_factory=new_id, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    account_id: str = Field(foreign_key="account.id")
    reason: str = Field(sa_type=Text)
    #: The judge's finding on whether the reason is a good one.
    good_reason: bool | None = None
    judge_reasons: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Finding(SQLModel, table=True):
    """A judge's finding on one eligibility question; the latest per question counts."""

    __tablename__ = "hearing_finding"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    question: str
    holds: bool
    reasons: str = Field(sa_type=Text)
    judge_id: str = Field(foreign_key="account.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class Decision(SQLModel, table=True):
    """Each eligibility decision as it was made, with every criterion (append-only)."""

    __tablename__ = "eligibility_decision"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    eligible: bool | None = None
    mode: str
    decision: dict[str, object] = Field(sa_type=JSON)
    account_id: str | None = Field(default=None, foreign_key="account.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class SelfTest(SQLModel, table=True):
    """A participant's pre-hearing device test: media sent to the server and measured."""

    __tablename__ = "hearing_self_test"

    id: str = Field(default_factory=new_id, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    #: running / passed / failed
    result: str = "running"
    video_kbps: float | None = None
    frames_per_second: float | None = None
    audio_kbps: float | None = None
    detail: str = ""
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class AbsenceReason(enum.StrEnum):
    """R20: why someone who consented did not join, or left."""

    NETWORK_FAILURE = "network_failure"
    DEVICE_DAMAGE = "device_damage"
    POWER_CUT = "power_cut"
    FORCE_MAJEURE = "force_majeure"
    NO_GOOD_REASON = "no_good_reason"
    LEFT_WITHOUT_PERMISSION = "left_without_permission"
    #: Not absent after all: came to the courtroom instead of joining online.
    ATTENDED_IN_PERSON = "attended_in_person"


#: R20 (OLR 25): these excuse a failure to join.
EXCUSED = frozenset(
    {
        AbsenceReason.NETWORK_FAILURE,
        AbsenceReason.DEVICE_DAMAGE,
        AbsenceReason.POWER_CUT,
        AbsenceReason.FORCE_MAJEURE,
        AbsenceReason.ATTENDED_IN_PERSON,
    }
)


class AttendanceEvent(SQLModel, table=True):
    """Joins and leaves, and absences with their reason class (R20); append-only."""

    __tablename__ = "hearing_attendance"

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    participant_id: str = Field(foreign_key="hearing_participant.id", index=True)
    #: join / leave / admitted / removed / absent / walked_out / in_person (came to court)
    kind: str
    reason: str | None = None
    excused: bool | None = None
    note: str = Field(default="", sa_type=Text)
    at: dt.datetime = Field(sa_type=UTCDateTime)


class HearingRecording(SQLModel, table=True):
    """One finished recording file of a hearing, kept in the blob store and logged (R21)."""

    __tablename__ = "hearing_recording"

    id: str = Field(default_factory=new_id, primary_key=True)
    hearing_id: str = Field(foreign_key="hearing.id", index=True)
    participant_id: str | None = Field(default=None, foreign_key="hearing_participant.id")
    name: str
    sha256: str = Field(max_length=64, unique=True)
    size: int
    media_type: str = "video/webm"
    log_index: int
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
