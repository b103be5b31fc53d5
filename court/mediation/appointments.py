"""Booking consultations with a mediator: slots on working days, never booked twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import Conflict, NotFound, ValidationFailed
from court.mediation.directory import get_mediator
from court.mediation.models import Appointment, AppointmentState
from court.timekeeping import CHINA, WorkingCalendar

SLOT = dt.timedelta(minutes=30)
#: Consultation hours, China time: 9:00–12:00 and 13:30–17:00 on working days.
HOURS = ((dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 0)))
HORIZON = dt.timedelta(days=30)


class SlotTaken(Conflict):
    code = "slot_taken"
    zh = "该时段已被预约，请选择其他时段。"
    en = "This slot is already booked; choose another."


class NotASlot(ValidationFailed):
    code = "not_a_slot"
    zh = "只能预约未来 30 天内工作日的咨询时段（每半小时一个时段）。"
    en = "Book a half-hour slot on a working day within the next 30 days."


def is_slot(starts_at: dt.datetime, calendar: WorkingCalendar, *, now: dt.datetime) -> bool:
    local = starts_at.astimezone(CHINA)
    if not (now < starts_at <= now + HORIZON) or local.second or local.microsecond:
        return False
    if local.minute not in (0, 30) or not calendar.is_working_day(local.date()):
        return False
    return any(start <= local.time() and (local + SLOT).time() <= end for start, end in HOURS)


def free_slots(
    session: Session, mediator_id: str, calendar: WorkingCalendar, *, day: dt.date
) -> list[dt.datetime]:
    """The mediator's unbooked slots on one day (UTC times)."""
    get_mediator(session, mediator_id)
    now = utcnow()
    taken = set(
        session.exec(
            select(Appointment.starts_at).where(
                Appointment.mediator_id == mediator_id,
                Appointment.state == AppointmentState.BOOKED.value,
            )
        )
    )
    slots = []
    for start, end in HOURS:
        moment = dt.datetime.combine(day, start, CHINA)
        while (moment + SLOT).time() <= end and moment.date() == day:
            utc = moment.astimezone(dt.UTC)
            if is_slot(utc, calendar, now=now) and utc not in taken:
                slots.append(utc)
            moment += SLOT
    return slots


def book(
    session: Session,
    actor: Actor,
    calendar: WorkingCalendar,
    *,
    mediator_id: str,
    account_id: str,
    starts_at: dt.datetime,
    topic: str,
) -> Appointment:
    """Book a slot; a slot someone else booked first (even a moment ago) is a 409."""
    get_mediator(session, mediator_id)
    if not is_slot(starts_at, calendar, now=utcnow()):
        raise NotASlot({"starts_at": starts_at.isoformat()})
    appointment = Appointment(
        mediator_id=mediator_id,
        account_id=account_id,
        starts_at=starts_at,
        ends_at=starts_at + SLOT,
        topic=topic,
        created_at=utcnow(),
    )
    session.add(appointment)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise SlotTaken({"starts_at": starts_at.isoformat()}) from exc
    record_audit(
        session,
        actor,
        "appointment.book",
        "appointment",
        appointment.id,
        {"mediator": mediator_id, "starts_at": starts_at.isoformat()},
    )
    return appointment


class AppointmentNotBooked(Conflict):
    code = "appointment_not_booked"
    zh = "该预约已取消或已改期（改期会生成新的预约），不能再取消或改期。"
    en = "This appointment was cancelled or moved (a move makes a new appointment)."


def own_appointment(session: Session, account_id: str, appointment_id: str) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.account_id != account_id:
        raise NotFound({"appointment": appointment_id})
    return appointment


def cancel(session: Session, actor: Actor, appointment: Appointment) -> Appointment:
    if appointment.state != AppointmentState.BOOKED:
        raise AppointmentNotBooked({"state": appointment.state})
    appointment.state = AppointmentState.CANCELLED.value
    appointment.cancelled_at = utcnow()
    session.add(appointment)
    session.flush()
    record_audit(session, actor, "appointment.cancel", "appointment", appointment.id)
    return appointment


def mine(session: Session, account_id: str) -> list[Appointment]:
    return list(
        session.exec(
            select(Appointment)
            .where(Appointment.account_id == account_id)
            .order_by(col(Appointment.starts_at))
        )
    )


def move(
    session: Session,
    actor: Actor,
    calendar: WorkingCalendar,
    appointment: Appointment,
    starts_at: dt.datetime,
) -> Appointment:
    """Book the new slot first, then free the old one: a move never loses the booking.
    The new slot is a new appointment (its own id); the old one ends cancelled."""
    if appointment.state != AppointmentState.BOOKED:
        raise AppointmentNotBooked({"state": appointment.state})
    moved = book(
        session,
        actor,
        calendar,
        mediator_id=appointment.mediator_id,
        account_id=appointment.account_id,
        starts_at=starts_at,
        topic=appointment.topic,
    )
    cancel(session, actor, appointment)
    return moved
