"""Public reference data."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from court.api import api
from court.api.models import PublicModel, QueryModel
from court.db import db
from court.reference import services


class CauseQuery(QueryModel):
    scheme: str = "2020"
    tag: Annotated[str | None, Field(max_length=64)] = None
    q: Annotated[str | None, Field(max_length=50, description="part of the name")] = None
    level: Annotated[int | None, Field(ge=1, le=4)] = None


class CausePublic(PublicModel):
    id: int
    scheme: str
    code: str
    level: int
    parent_code: str | None
    name: str
    tags: list[str]


class CauseList(PublicModel):
    items: list[CausePublic]


@api.get(
    "/case-causes",
    query=CauseQuery,
    response=CauseList,
    roles=None,
    tags=["reference"],
    summary="Case causes (案由) with their tags",
    errors=[422],
)
def case_causes(query: CauseQuery) -> CauseList:
    found = services.find_causes(
        db(), scheme=query.scheme, tag=query.tag, text=query.q, level=query.level
    )
    return CauseList(items=[CausePublic(**{**c.__dict__, "tags": list(c.tags)}) for c in found])
