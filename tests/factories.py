"""Factories for data that tests arrange directly in the database."""

from __future__ import annotations

from sqlmodel import Session, select

from court.accounts.models import Account, Court, Role
from court.accounts.services import create_staff
from court.audit import Actor

STAFF_PASSWORD = "correct horse battery staple"


def court(session: Session) -> Court:
    found = session.exec(select(Court)).first()
    assert found is not None, "the template instance creates the court"
    return found


def staff(session: Session, role: Role = Role.CLERK, username: str | None = None) -> Account:
    return create_staff(
        session,
        Actor.system("test"),
        username=username or f"{role.value}-user",
        display_name=f"测试{role.value}",
        role=role,
        court=court(session),
        password=STAFF_PASSWORD,
    )
