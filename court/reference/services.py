"""Loading and reading case causes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from sqlmodel import Session, col, select

from court.reference.models import CaseCause, CaseCauseTag

SCHEMES = {"2020": "case_causes_2020.json"}


@dataclass(frozen=True)
class CauseView:
    id: int
    scheme: str
    code: str
    level: int
    parent_code: str | None
    name: str
    tags: tuple[str, ...]


def load_case_causes(session: Session, scheme: str = "2020") -> int:
    """Load a scheme from the packaged data file; running it again adds only what is new."""
    raw = resources.files("court.reference").joinpath("data", SCHEMES[scheme]).read_text("utf-8")
    data = json.loads(raw)
    existing = set(session.exec(select(CaseCause.code).where(CaseCause.scheme == scheme)))
    added = 0
    for entry in data["causes"]:
        if entry["code"] in existing:
            continue
        cause = CaseCause(
            scheme=scheme,
            code=entry["code"],
            level=entry["level"],
            parent_code=entry["parent"],
            name=entry["name"],
            official_no=entry.get("official_no"),
        )
        session.add(cause)
        session.flush()
        assert cause.id is not None
        for tag in entry["tags"]:
            session.add(CaseCauseTag(cause_id=cause.id, tag=tag))
        added += 1
    session.flush()
    return added


def find_causes(
    session: Session,
    *,
    scheme: str = "2020",
    tag: str | None = None,
    text: str | None = None,
    level: int | None = None,
) -> list[CauseView]:
    query = select(CaseCause).where(CaseCause.scheme == scheme)
    if tag is not None:
        query = query.join(CaseCauseTag, col(CaseCauseTag.cause_id) == CaseCause.id).where(
            CaseCauseTag.tag == tag
        )
    if text:
        query = query.where(col(CaseCause.name).contains(text))
    if level is not None:
        query = query.where(CaseCause.level == level)
    causes = list(session.exec(query.order_by(col(CaseCause.id))))
    tags: dict[int, list[str]] = {}
    if causes:
        for cause_id, name in session.exec(
            select(CaseCauseTag.cause_id, CaseCauseTag.tag).where(
                col(CaseCauseTag.cause_id).in_([c.id for c in causes])
            )
        ):
            tags.setdefault(cause_id, []).append(name)
    return [
        CauseView(
            id=c.id or 0,
            scheme=c.scheme,
            code=c.code,
            level=c.level,
            parent_code=c.parent_code,
            name=c.name,
            tags=tuple(sorted(tags.get(c.id or 0, []))),
        )
        for c in causes
    ]


def cause_tags(session: Session, cause_id: int) -> frozenset[str]:
    return frozenset(
        session.exec(select(CaseCauseTag.tag).where(CaseCauseTag.cause_id == cause_id))
    )
