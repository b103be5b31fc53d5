"""The audit trail: who did what, from where, through which session or device (R4).

Rows are append-only: the migration installs triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field, Session, SQLModel

from court.db import UTCDateTime, utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account through a session or device, or the system itself."""

    account_id: str | None
    role: str
    session_ref: str | None = None
    device_ref: str | None = None
    address: str | None = None

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(account_id=None, role=what)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    #: The account acting, or None for the system.
    actor_account_id: str | None = Field(default=None, index=True)
    actor_role: str
    #: "token:<id>" or "staff:<id>": the session the act came through (R4).
    session_ref: str | None = None
    device_ref: str | None = None
    address: str | None = None
    action: str = Field(index=True)
    object_type: str
    object_id: str | None = Field(default=None, index=True)
    #: JSON object of what changed; never secrets or full ID numbers.
    changes: str = Field(default="{}", sa_type=Text)


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row in the caller's transaction."""
    event = AuditEvent(
        at=utcnow(),
        actor_account_id=actor.account_id,
        actor_role=actor.role,
        session_ref=actor.session_ref,
        device_ref=actor.device_ref,
        address=actor.address,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=str),
    )
    session.add(event)
    return event
