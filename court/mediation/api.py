"""The public mediator directory (R10), and complaints about mediators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel, QueryModel
from court.api.routing import principal
from court.db import db
from court.mediation import directory
from court.mediation.models import MEDIATOR_TYPE_NAMES, Mediator, MediatorType

LITIGANT_SIDE = ("litigant", "agent")


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
