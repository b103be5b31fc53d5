"""Mediation sessions: scheduled by the mediator, joined by parties who have just
re-verified their identity (R5), with attendance kept. Text for now; video will use the
hearings media layer."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import NotFound, ValidationFailed
from court.identity.models import ReverifyPurpose
from court.identity.services import require_fresh_verification
from court.mediation import services
from court.mediation.errors import MediationNotFound, WrongState
from court.mediation.models import Attendance, MediationSession
from court.settings import Settings
from court.timekeeping import CHINA


def sessions_of(session: Session, mediation_id: str) -> list[MediationSession]:
    return list(
        session.exec(
            select(MediationSession)
            .where(MediationSession.mediation_id == mediation_id)
            .order_by(col(MediationSession.starts_at))
        )
    )


def attendance_of(session: Session, session_id: str) -> list[Attendance]:
    return list(
        session.exec(
            select(Attendance)
            .where(Attendance.session_id == session_id)
            .order_by(col(Attendance.joined_at))
        )
    )


def schedule(
    session: Session, actor: Actor, staff: Account, *, mediation_id: str, starts_at: dt.datetime
) -> MediationSession:
    mediation = services.for_mediator(session, staff, mediation_id, lock=True)
    services.require_running(mediation)
    if starts_at.tzinfo is None or starts_at <= utcnow():
        raise ValidationFailed(
            {"field": "starts_at"}, zh="请选择将来的时间。", en="Choose a time in the future."
        )
    meeting = MediationSession(mediation_id=mediation.id, starts_at=starts_at, created_at=utcnow())
    session.add(meeting)
    session.flush()
    services.system_message(
        session,
        mediation,
        f"调解员安排了调解会议，时间 {starts_at.astimezone(CHINA):%Y-%m-%d %H:%M}（北京时间）。"
        "进入会议前须重新验证身份（R5）。",
    )
    record_audit(session, actor, "mediation.session_schedule", "mediation", mediation.id)
    return meeting


def _meeting(session: Session, mediation_id: str, session_id: str) -> MediationSession:
    meeting = session.get(MediationSession, session_id)
    if meeting is None or meeting.mediation_id != mediation_id:
        raise NotFound({"session": session_id})
    return meeting


def set_open(
    session: Session,
    actor: Actor,
    staff: Account,
    *,
    mediation_id: str,
    session_id: str,
    open_: bool,
) -> MediationSession:
    """The mediator opens the session (parties may join) or closes it (everyone leaves)."""
    mediation = services.for_mediator(session, staff, mediation_id, lock=True)
    meeting = _meeting(session, mediation.id, session_id)
    now = utcnow()
    if open_:
        services.require_running(mediation)
        if meeting.state != "scheduled":
            raise WrongState({"session": meeting.state})
        meeting.state, meeting.opened_at = "open", now
    else:
        if meeting.state != "open":
            raise WrongState({"session": meeting.state})
        meeting.state, meeting.closed_at = "closed", now
        for row in attendance_of(session, meeting.id):
            if row.left_at is None:
                row.left_at = now
                session.add(row)
    session.add(meeting)
    services.system_message(session, mediation, "调解会议已开始。" if open_ else "调解会议已结束。")
    record_audit(
        session,
        actor,
        "mediation.session_" + ("open" if open_ else "close"),
        "mediation",
        mediation.id,
    )
    return meeting


def join(
    session: Session,
    settings: Settings,
    actor: Actor,
    account: Account,
    *,
    mediation_id: str,
    session_id: str,
) -> Attendance:
    """A party joins an open session; identity must have been re-verified just before (R5)."""
    mediation, party = services.for_party(session, account, mediation_id)
    if party.account_id != account.id:
        raise MediationNotFound({"mediation": mediation_id})
    meeting = _meeting(session, mediation.id, session_id)
    if meeting.state != "open":
        raise WrongState({"session": meeting.state})
    check = require_fresh_verification(session, settings, account.id, ReverifyPurpose.MEDIATION)
    present = session.exec(
        select(Attendance).where(
            Attendance.session_id == meeting.id,
            Attendance.account_id == account.id,
            col(Attendance.left_at).is_(None),
        )
    ).first()
    if present is not None:
        return present
    row = Attendance(
        session_id=meeting.id,
        account_id=account.id,
        reverification_id=check.id,
        joined_at=utcnow(),
    )
    session.add(row)
    session.flush()
    services.system_message(session, mediation, f"{party.name}已进入调解会议（已重新验证身份）。")
    record_audit(session, actor, "mediation.session_join", "mediation", mediation.id)
    return row


def leave(
    session: Session, actor: Actor, account: Account, *, mediation_id: str, session_id: str
) -> None:
    mediation, party = services.for_party(session, account, mediation_id)
    meeting = _meeting(session, mediation.id, session_id)
    for row in attendance_of(session, meeting.id):
        if row.account_id == account.id and row.left_at is None:
            row.left_at = utcnow()
            session.add(row)
            services.system_message(session, mediation, f"{party.name}已离开调解会议。")
    record_audit(session, actor, "mediation.session_leave", "mediation", mediation.id)
