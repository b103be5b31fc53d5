"""The published directory of mediators (R10) and complaints about them (OMR 29)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id
from court.history import StateMachine


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


class MediationStage(enum.StrEnum):
    PRE_FILING = "pre_filing"  # 诉前调解
    IN_CASE = "in_case"  # 诉中调解


class MediationState(enum.StrEnum):
    INVITED = "invited"  # waiting for the other party to agree
    CHOOSING = "choosing"  # the parties choose a mediator jointly (R11: 2 working days)
    AWAITING_ASSIGNMENT = "awaiting_assignment"  # the court assigns (R11: 3 working days)
    AWAITING_ACCEPTANCE = "awaiting_acceptance"  # the mediator accepts or declines (R11: 3)
    IN_PROGRESS = "in_progress"
    AGREED = "agreed"  # the agreement took effect at the last party's signature (R14)
    WITHDRAWN = "withdrawn"  # settled and withdrawn (R16)
    TERMINATED = "terminated"  # ended on another R16 ground, with a failure record
    DECLINED = "declined"  # the other party did not agree to mediate


MEDIATION_MOVES = StateMachine(
    "mediation",
    {
        MediationState.INVITED: frozenset({MediationState.CHOOSING, MediationState.DECLINED}),
        MediationState.CHOOSING: frozenset(
            {
                MediationState.AWAITING_ACCEPTANCE,
                MediationState.AWAITING_ASSIGNMENT,
                MediationState.TERMINATED,
            }
        ),
        MediationState.AWAITING_ASSIGNMENT: frozenset(
            {MediationState.AWAITING_ACCEPTANCE, MediationState.TERMINATED}
        ),
        MediationState.AWAITING_ACCEPTANCE: frozenset(
            {
                MediationState.IN_PROGRESS,
                MediationState.AWAITING_ASSIGNMENT,
                MediationState.TERMINATED,
            }
        ),
        MediationState.IN_PROGRESS: frozenset(
            {
                MediationState.AGREED,
                MediationState.WITHDRAWN,
                MediationState.TERMINATED,
                # A change of mediator (R12) sends it back to the court for assignment.
                MediationState.AWAITING_ASSIGNMENT,
            }
        ),
    },
)

#: States in which a mediation is still open.
OPEN_STATES = frozenset(
    {
        MediationState.INVITED,
        MediationState.CHOOSING,
        MediationState.AWAITING_ASSIGNMENT,
        MediationState.AWAITING_ACCEPTANCE,
        MediationState.IN_PROGRESS,
    }
)


class TerminationGround(enum.StrEnum):
    """R16 (OMR 25): why a mediation ended."""

    AGREEMENT = "agreement"
    SETTLED_AND_WITHDRAWN = "settled_and_withdrawn"
    PARTY_UNREACHABLE = "party_unreachable"
    PARTY_REFUSES_TO_CONTINUE = "party_refuses_to_continue"
    POSITIONS_TOO_FAR_APART = "positions_too_far_apart"
    TIME_EXPIRED = "time_expired"
    PARTY_REFUSES_TO_SIGN = "party_refuses_to_sign"
    OTHER = "other"


GROUND_NAMES = {
    TerminationGround.AGREEMENT: "达成调解协议",
    TerminationGround.SETTLED_AND_WITHDRAWN: "自行和解并撤回申请",
    TerminationGround.PARTY_UNREACHABLE: "当事人无法联系",
    TerminationGround.PARTY_REFUSES_TO_CONTINUE: "当事人拒绝继续调解",
    TerminationGround.POSITIONS_TOO_FAR_APART: "各方意见分歧较大，难以达成协议",
    TerminationGround.TIME_EXPIRED: "调解期限届满",
    TerminationGround.PARTY_REFUSES_TO_SIGN: "当事人拒绝在调解协议上签名",
    TerminationGround.OTHER: "其他情形",
}


class Mediation(SQLModel, table=True):
    """One mediation, before filing (诉前) or within a case (诉中), with its time limits."""

    id: str = Field(default_factory=new_id, primary_key=True)
    court_id: str = Field(foreign_key="court.id", index=True)
    case_id: str | None = Field(default=None, foreign_key="case.id", index=True)
    stage: str
    state: str = Field(index=True)
    cause_id: int = Field(foreign_key="case_cause.id")
    #: R15: the cause carries ``personal_status``: records and agreements are signed in person.
    personal_status: bool = False
    simple_procedure: bool = False
    summary: str = Field(sa_type=Text)
    claim: str = Field(default="", sa_type=Text)
    requested_by: str = Field(foreign_key="account.id")
    mediator_id: str | None = Field(default=None, foreign_key="mediator.id", index=True)
    #: chosen (jointly by the parties) or assigned (by the court)
    mediator_via: str | None = None
    #: R12: what the mediator disclosed on accepting ("无" when nothing).
    disclosure: str | None = Field(default=None, sa_type=Text)
    choose_by: dt.date | None = None
    assign_by: dt.date | None = None
    accept_by: dt.date | None = None
    started_on: dt.date | None = None
    due_on: dt.date | None = None
    extended_days: int = 0
    #: Days of extension proposed and waiting for every party's agreement (R13).
    extension_proposed: int | None = None
    ground: str | None = None
    #: R16 failure record: what the parties agreed is undisputed, and conduct that raised
    #: the other side's costs; it goes with the case to filing or trial.
    undisputed_facts: str | None = Field(default=None, sa_type=Text)
    cost_conduct: str | None = Field(default=None, sa_type=Text)
    effective_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_on: dt.date | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class PartySide(enum.StrEnum):
    APPLICANT = "applicant"  # 申请人
    RESPONDENT = "respondent"  # 被申请人


class MediationParty(SQLModel, table=True):
    """A party to a mediation; the other side is invited by phone number until they link."""

    __tablename__ = "mediation_party"
    __table_args__ = (UniqueConstraint("mediation_id", "phone", name="uq_mediation_party_phone"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    mediation_id: str = Field(foreign_key="mediation.id", index=True)
    account_id: str | None = Field(default=None, foreign_key="account.id", index=True)
    side: str
    name: str
    phone: str = Field(index=True)
    #: R23: the e-service address and the ground of consent to electronic service.
    service_address: str = ""
    consent_ground: str | None = None
    #: invited / agreed / declined
    answer: str = "invited"
    answered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The mediator this party chose (R11: the choice is joint when everyone names the same).
    chosen_mediator_id: str | None = Field(default=None, foreign_key="mediator.id")
    extension_agreed: int | None = None
    confirmation_applied_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChangeRequest(SQLModel, table=True):
    """A party's request to change mediator (R12), decided by the court."""

    __tablename__ = "mediator_change_request"

    id: str = Field(default_factory=new_id, primary_key=True)
    mediation_id: str = Field(foreign_key="mediation.id", index=True)
    mediator_id: str = Field(foreign_key="mediator.id")
    account_id: str = Field(foreign_key="account.id")
    reason: str = Field(sa_type=Text)
    #: pending / granted / refused
    state: str = "pending"
    decided_by: str | None = Field(default=None, foreign_key="account.id")
    decision_note: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class MediationDocument(SQLModel, table=True):
    """A record or an agreement issued in a mediation; a new version supersedes the last."""

    __tablename__ = "mediation_document"

    document_id: str = Field(foreign_key="court_document.id", primary_key=True)
    mediation_id: str = Field(foreign_key="mediation.id", index=True)
    #: mediation_record / mediation_agreement / confirmation_ruling
    kind: str
    version: int
    #: The editor's fields, to start the next version from.
    content: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    current: bool = True
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class MediationSession(SQLModel, table=True):
    """A scheduled mediation meeting (text until the hearings media layer is used)."""

    __tablename__ = "mediation_session"

    id: str = Field(default_factory=new_id, primary_key=True)
    mediation_id: str = Field(foreign_key="mediation.id", index=True)
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    mode: str = "text"
    #: scheduled / open / closed / cancelled
    state: str = "scheduled"
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    opened_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    """Who joined a mediation session and when, after re-verifying their identity (R5)."""

    __tablename__ = "mediation_attendance"

    id: str = Field(default_factory=new_id, primary_key=True)
    session_id: str = Field(foreign_key="mediation_session.id", index=True)
    account_id: str = Field(foreign_key="account.id")
    reverification_id: str | None = Field(default=None, foreign_key="reverification.id")
    joined_at: dt.datetime = Field(sa_type=UTCDateTime)
    left_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Confirmation(SQLModel, table=True):
    """An application for judicial confirmation (司法确认) of a pre-filing agreement."""

    __tablename__ = "judicial_confirmation"

    id: str = Field(default_factory=new_id, primary_key=True)
    mediation_id: str = Field(foreign_key="mediation.id", unique=True)
    #: applied (waiting for every party) / pending (for a judge) / granted / refused
    state: str
    judge_id: str | None = Field(default=None, foreign_key="account.id")
    reasons: str | None = Field(default=None, sa_type=Text)
    ruling_document_id: str | None = Field(default=None, foreign_key="court_document.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
