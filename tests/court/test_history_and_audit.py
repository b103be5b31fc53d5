"""State history and the audit trail: legal moves only, and rows nobody can rewrite."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from court.audit import Actor, AuditEvent
from court.cases.models import CASE_MOVES, Case, CaseState, Procedure
from court.db import utcnow
from court.errors import InvalidTransition
from court.history import StateHistory, history_of
from tests import factories

CLERK = Actor(account_id=None, role="clerk", session_ref="staff:test")


def _case(session: Session) -> Case:
    case = Case(
        court_id=factories.court(session).id,
        title="测试案件",
        procedure=Procedure.SIMPLE.value,
        state=CaseState.PRE_FILING.value,
        created_at=utcnow(),
    )
    CASE_MOVES.start(session, case, CaseState.PRE_FILING, CLERK, "filed")
    session.flush()
    return case


def test_every_move_is_recorded_with_who_when_from_to_and_why(session: Session) -> None:
    case = _case(session)
    CASE_MOVES.move(session, case, CaseState.REGISTERED, CLERK, "材料齐全，予以立案")
    CASE_MOVES.move(session, case, CaseState.WITHDRAWN, CLERK, "原告撤诉")
    session.commit()
    rows = history_of(session, "case", case.id)
    assert [(r.from_state, r.to_state) for r in rows] == [
        (None, "pre_filing"),
        ("pre_filing", "registered"),
        ("registered", "withdrawn"),
    ]
    assert rows[1].reason == "材料齐全，予以立案"
    assert all(r.actor_role == "clerk" and r.at is not None for r in rows)


def test_an_illegal_move_is_refused_and_leaves_the_state_alone(session: Session) -> None:
    case = _case(session)
    with pytest.raises(InvalidTransition) as caught:
        CASE_MOVES.move(session, case, CaseState.WITHDRAWN, CLERK, "not registered yet")
    assert caught.value.details == {"entity": "case", "from": "pre_filing", "to": "withdrawn"}
    assert case.state == "pre_filing"
    assert len(history_of(session, "case", case.id)) == 1


@pytest.mark.parametrize("table", ["audit_event", "state_history"])
def test_audit_and_history_rows_cannot_be_changed_or_deleted(session: Session, table: str) -> None:
    case = _case(session)
    session.commit()
    assert session.exec(select(StateHistory)).first() is not None
    session.add(
        AuditEvent(
            at=utcnow(),
            actor_role="clerk",
            action="case.file",
            object_type="case",
            object_id=case.id,
        )
    )
    session.commit()
    for statement in (f"UPDATE {table} SET at = at", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"):
            session.exec(text(statement))
        session.rollback()


def test_acts_through_the_api_are_audited_with_session_and_address(
    make_litigant, session: Session
) -> None:
    make_litigant()
    events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    actions = [e.action for e in events]
    assert actions == ["account.create", "token.issue", "identity.verify", "device.enrol"]
    enrol = events[-1]
    assert enrol.session_ref.startswith("token:")
    assert enrol.address == "127.0.0.1"
    assert enrol.actor_account_id is not None
    # No full ID number in the trail.
    assert "*" in events[2].changes
