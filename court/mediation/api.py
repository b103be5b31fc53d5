"""The public mediator directory (R10), and complaints about mediators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel, QueryModel
from court.api.routing import principal
from court.db import db
from court.mediation import appointments, directory
from court.mediation.models import MEDIATOR_TYPE_NAMES, Mediator, MediatorType


class DirectoryFilters(QueryModel):
    type: MediatorType | None = None
    #: A dispute area: a case-cause tag (e.g. simple_civil_commercial) or a cause code.
    area: Annotated[str | None, Field(max_length=64)] = None
    court_id: Annotated[str | None, Field(max_length=64)] = None
    fee: Literal["free", "charged"] | None = None
    language: Annotated[str | None, Field(max_length=20)] = None
    q: Annotated[str | None, Field(max_length=50, description="part of the name or expertise")] = (
        None
    )
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0


class MediatorPublic(PublicModel):
    id: str
    name: str
    type: str
    type_name: str
    organisation: str
    court_id: str
    dispute_areas: list[str]
    expertise: str
    languages: list[str]
    charges_fee: bool
    fee_note: str
    availability: str


class Directory(PublicModel):
    items: list[MediatorPublic]
    total: int


class ComplaintIn(ApiModel):
    text: Annotated[str, Field(min_length=5, max_length=2000)]


class ComplaintPublic(PublicModel):
    id: str
    mediator_id: str
    created_at: dt.datetime


def _public(mediator: Mediator, areas: list[str]) -> MediatorPublic:
    return MediatorPublic(
        **mediator.model_dump(
            include={
                "id",
                "name",
                "type",
                "organisation",
                "court_id",
                "expertise",
                "charges_fee",
                "fee_note",
                "availability",
            }
        ),
        type_name=MEDIATOR_TYPE_NAMES[MediatorType(mediator.type)],
        dispute_areas=areas,
        languages=[x for x in mediator.languages.split(",") if x],
    )


@api.get(
    "/mediators",
    query=DirectoryFilters,
    response=Directory,
    roles=None,
    tags=["mediation"],
    summary="The published mediator directory, with filters (R10)",
)
def list_mediators(query: DirectoryFilters) -> Directory:
    found, total = directory.search(
        db(),
        directory.DirectoryQuery(
            type=query.type,
            area=query.area,
            court_id=query.court_id,
            charges_fee=None if query.fee is None else query.fee == "charged",
            language=query.language,
            text=query.q,
            limit=query.limit,
            offset=query.offset,
        ),
    )
    areas = directory.areas_of(db(), [m.id for m in found])
    return Directory(items=[_public(m, areas[m.id]) for m in found], total=total)


@api.get(
    "/mediators/<mediator_id>",
    response=MediatorPublic,
    roles=None,
    tags=["mediation"],
    errors=[404],
    summary="One mediator of the directory",
)
def read_mediator(mediator_id: str) -> MediatorPublic:
    mediator = directory.get_mediator(db(), mediator_id)
    return _public(mediator, directory.areas_of(db(), [mediator.id])[mediator.id])


@api.post(
    "/mediators/<mediator_id>/complaints",
    body=ComplaintIn,
    response=ComplaintPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404],
    summary="Complain about a mediator (OMR 29); the administrator sees it",
)
def complain(mediator_id: str, body: ComplaintIn) -> ComplaintPublic:
    complaint = directory.complain(
        db(), principal().actor(), mediator_id, current_account().id, body.text
    )
    return ComplaintPublic.model_validate(complaint)


class SlotQuery(QueryModel):
    day: dt.date


class Slots(PublicModel):
    day: dt.date
    slots: list[dt.datetime]


class BookingIn(ApiModel):
    #: RFC 3339, on the half hour, within consultation hours on a working day.
    starts_at: dt.datetime
    topic: Annotated[str, Field(max_length=500)] = ""


class MoveIn(ApiModel):
    starts_at: dt.datetime


class AppointmentPublic(PublicModel):
    id: str
    mediator_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    topic: str
    state: str


class AppointmentList(PublicModel):
    items: list[AppointmentPublic]


@api.get(
    "/mediators/<mediator_id>/slots",
    query=SlotQuery,
    response=Slots,
    roles=None,
    tags=["mediation"],
    errors=[404],
    summary="A mediator's free consultation slots on a day",
)
def slots(mediator_id: str, query: SlotQuery) -> Slots:
    found = appointments.free_slots(db(), mediator_id, components.working_calendar(), day=query.day)
    return Slots(day=query.day, slots=found)


@api.post(
    "/mediators/<mediator_id>/appointments",
    body=BookingIn,
    response=AppointmentPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409, 422],
    summary="Book a consultation slot (never booked twice, even at the same instant)",
)
def book(mediator_id: str, body: BookingIn) -> AppointmentPublic:
    appointment = appointments.book(
        db(),
        principal().actor(),
        components.working_calendar(),
        mediator_id=mediator_id,
        account_id=current_account().id,
        starts_at=body.starts_at,
        topic=body.topic,
    )
    return AppointmentPublic.model_validate(appointment)


@api.get(
    "/appointments",
    response=AppointmentList,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    summary="My consultation appointments",
)
def my_appointments() -> AppointmentList:
    return AppointmentList(
        items=[
            AppointmentPublic.model_validate(a)
            for a in appointments.mine(db(), current_account().id)
        ]
    )


@api.post(
    "/appointments/<appointment_id>/cancel",
    response=AppointmentPublic,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409],
    summary="Cancel my appointment",
)
def cancel(appointment_id: str) -> AppointmentPublic:
    appointment = appointments.own_appointment(db(), current_account().id, appointment_id)
    return AppointmentPublic.model_validate(
        appointments.cancel(db(), principal().actor(), appointment)
    )


@api.post(
    "/appointments/<appointment_id>/move",
    body=MoveIn,
    response=AppointmentPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["mediation"],
    errors=[404, 409, 422],
    summary="Move my appointment to another slot (the old one is freed only if the new one is had)",
)
def move(appointment_id: str, body: MoveIn) -> AppointmentPublic:
    """The answer is a new appointment with its own id; the old id stays, cancelled, and
    answers 409 appointment_not_booked to a further cancel or move."""
    appointment = appointments.own_appointment(db(), current_account().id, appointment_id)
    moved = appointments.move(
        db(), principal().actor(), components.working_calendar(), appointment, body.starts_at
    )
    return AppointmentPublic.model_validate(moved)
