"""State history: every stateful entity moves only through a StateMachine, which appends a row.

A machine names the legal moves; ``move`` refuses any other with ``InvalidTransition`` and
records who, when, from, to and why. Rows are append-only (triggers in the migration).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Generic, Protocol, TypeVar

from sqlalchemy import Text
from sqlmodel import Field, Session, SQLModel, col, select

from court.audit import Actor
from court.db import UTCDateTime, utcnow
from court.errors import InvalidTransition


class StateHistory(SQLModel, table=True):
    __tablename__ = "state_history"

    id: int | None = Field(default=None, primary_key=True)
    entity_type: str = Field(index=True)
    entity_id: str = Field(index=True)
    #: None when the entity was created in ``to_state``.
    from_state: str | None = None
    to_state: str
    actor_account_id: str | None = None
    actor_role: str
    reason: str | None = Field(default=None, sa_type=Text)
    at: dt.datetime = Field(sa_type=UTCDateTime)


S = TypeVar("S", bound=enum.StrEnum)


class Stateful(Protocol):
    id: str
    state: str


class StateMachine(Generic[S]):
    """The legal moves of one kind of entity."""

    def __init__(self, entity_type: str, moves: Mapping[S, frozenset[S]]) -> None:
        self.entity_type = entity_type
        self._moves = dict(moves)

    def allowed(self, current: S) -> frozenset[S]:
        return self._moves.get(current, frozenset())

    def start(
        self, session: Session, entity: Stateful, state: S, actor: Actor, reason: str | None = None
    ) -> None:
        """Record the creation of an entity in its first state."""
        entity.state = state.value
        self._append(session, entity, None, state, actor, reason)

    def move(
        self, session: Session, entity: Stateful, to: S, actor: Actor, reason: str | None = None
    ) -> None:
        """Move an entity to ``to`` if that is a legal move from its state, else refuse."""
        current = type(to)(entity.state)
        if to not in self.allowed(current):
            raise InvalidTransition(
                {"entity": self.entity_type, "from": current.value, "to": to.value}
            )
        entity.state = to.value
        self._append(session, entity, current, to, actor, reason)

    def _append(
        self,
        session: Session,
        entity: Stateful,
        from_state: S | None,
        to: S,
        actor: Actor,
        reason: str | None,
    ) -> None:
        session.add(entity)
        session.add(
            StateHistory(
                entity_type=self.entity_type,
                entity_id=entity.id,
                from_state=from_state.value if from_state is not None else None,
                to_state=to.value,
                actor_account_id=actor.account_id,
                actor_role=actor.role,
                reason=reason,
                at=utcnow(),
            )
        )


def history_of(session: Session, entity_type: str, entity_id: str) -> list[StateHistory]:
    """Return an entity's transitions, oldest first."""
    return list(
        session.exec(
            select(StateHistory)
            .where(StateHistory.entity_type == entity_type, StateHistory.entity_id == entity_id)
            .order_by(col(StateHistory.id))
        )
    )
