"""Shapes shared by every API endpoint, and the idempotency record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from court.db import UTCDateTime


class ApiModel(BaseModel):
    """Base of request bodies: unknown fields and wrong types are refused, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryModel(BaseModel):
    """Base of query-string parameters: strings from the URL are converted, extras refused."""

    model_config = ConfigDict(extra="forbid")


class PublicModel(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(from_attributes=True)


class ErrorBody(PublicModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorResponse(PublicModel):
    """DESIGN.md §6: every error has this shape."""

    error: ErrorBody


class IdempotencyRecord(SQLModel, table=True):
    """A completed state-changing request, replayed when its key is used again (≥ 24 h)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The account the key belongs to, or "anon:<address>" for unauthenticated calls.
    scope: str
    key: str = Field(max_length=255)
    method: str
    path: str
    #: SHA-256 of method, path and body: another body under the same key is a 409.
    request_sha256: str
    status: int
    response_body: str = Field(sa_type=Text)
    #: The headers a replay must carry too (a tus creation's Location).
    response_headers: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
