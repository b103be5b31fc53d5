"""Keeping and searching the mediator directory (R10). No HTTP here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import NotFound
from court.mediation.models import Mediator, MediatorArea, MediatorComplaint, MediatorType


@dataclass(frozen=True)
class DirectoryQuery:
    type: MediatorType | None = None
    area: str | None = None
    court_id: str | None = None
    charges_fee: bool | None = None
    language: str | None = None
    text: str | None = None
    limit: int = 20
    offset: int = 0


def add_mediator(
    session: Session,
    actor: Actor,
    *,
    name: str,
    type: MediatorType,
    organisation: str,
    court_id: str,
    areas: Sequence[str],
    expertise: str = "",
    languages: Sequence[str] = ("普通话",),
    charges_fee: bool = False,
    fee_note: str = "",
    availability: str = "",
    account_id: str | None = None,
) -> Mediator:
    """Publish a mediator in the directory."""
    mediator = Mediator(
        account_id=account_id,
        name=name,
        type=type.value,
        organisation=organisation,
        court_id=court_id,
        expertise=expertise,
        languages=",".join(languages),
        charges_fee=charges_fee,
        fee_note=fee_note,
        availability=availability,
        created_at=utcnow(),
    )
    session.add(mediator)
    session.flush()
    for area in dict.fromkeys(areas):
        session.add(MediatorArea(mediator_id=mediator.id, area=area))
    session.flush()
    record_audit(
        session, actor, "mediator.add", "mediator", mediator.id, {"name": name, "type": type.value}
    )
    return mediator


def set_active(session: Session, actor: Actor, mediator_id: str, active: bool) -> Mediator:
    mediator = get_mediator(session, mediator_id, include_inactive=True)
    mediator.active = active
    session.add(mediator)
    record_audit(
        session,
        actor,
        "mediator.active" if active else "mediator.inactive",
        "mediator",
        mediator.id,
    )
    return mediator


def get_mediator(session: Session, mediator_id: str, *, include_inactive: bool = False) -> Mediator:
    mediator = session.get(Mediator, mediator_id)
    if mediator is None or (not mediator.active and not include_inactive):
        raise NotFound({"mediator": mediator_id}, zh="未找到该调解员。", en="No such mediator.")
    return mediator


def areas_of(session: Session, mediator_ids: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {m: [] for m in mediator_ids}
    if mediator_ids:
        rows = session.exec(
            select(MediatorArea.mediator_id, MediatorArea.area)
            .where(col(MediatorArea.mediator_id).in_(list(mediator_ids)))
            .order_by(col(MediatorArea.area))
        )
        for mediator_id, area in rows:
            found[mediator_id].append(area)
    return found


def search(session: Session, query: DirectoryQuery) -> tuple[list[Mediator], int]:
    """Active mediators matching every given filter, by name; with the total count."""
    statement = select(Mediator).where(col(Mediator.active).is_(True))
    if query.type is not None:
        statement = statement.where(Mediator.type == query.type.value)
    if query.court_id is not None:
        statement = statement.where(Mediator.court_id == query.court_id)
    if query.charges_fee is not None:
        statement = statement.where(Mediator.charges_fee == query.charges_fee)
    if query.language:
        statement = statement.where(col(Mediator.languages).contains(query.language))
    if query.text:
        statement = statement.where(
            col(Mediator.name).contains(query.text) | col(Mediator.expertise).contains(query.text)
        )
    if query.area:
        statement = statement.where(
            col(Mediator.id).in_(
                select(MediatorArea.mediator_id).where(MediatorArea.area == query.area)
            )
        )
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(
        statement.order_by(col(Mediator.name), col(Mediator.id))
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(rows), int(total)


def complain(
    session: Session, actor: Actor, mediator_id: str, account_id: str, text: str
) -> MediatorComplaint:
    """Record a complaint about a mediator (OMR 29); the administrator sees it."""
    mediator = get_mediator(session, mediator_id, include_inactive=True)
    complaint = MediatorComplaint(
        mediator_id=mediator.id, account_id=account_id, text=text, created_at=utcnow()
    )
    session.add(complaint)
    session.flush()
    record_audit(
        session, actor, "mediator.complaint", "mediator", mediator.id, {"complaint": complaint.id}
    )
    return complaint


def complaints(session: Session, court_id: str) -> list[tuple[MediatorComplaint, Mediator]]:
    return list(
        session.exec(
            select(MediatorComplaint, Mediator)
            .join(Mediator, col(Mediator.id) == MediatorComplaint.mediator_id)
            .where(Mediator.court_id == court_id)
            .order_by(col(MediatorComplaint.created_at).desc())
        )
    )
