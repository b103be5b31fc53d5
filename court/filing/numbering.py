"""Case numbers (案号) in the national format, e.g. (2026)浙0203民初123号.

Serials are unique per court, year and case type, even when clerks register at the same
instant: the counter row is created if missing (INSERT … ON CONFLICT DO NOTHING) and then
locked (SELECT … FOR UPDATE on PostgreSQL; SQLite write transactions are already exclusive).
"""

from __future__ import annotations

import enum
import re

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from court.cases.models import Case
from court.filing.models import CaseSerial


class CaseType(enum.StrEnum):
    CIVIL_FIRST_INSTANCE = "民初"
    ENFORCEMENT = "执"


CASE_NUMBER_RE = re.compile(r"^\((\d{4})\)([\u4e00-\u9fff]\d{2,4})(民初|执)(\d+)号$")


def format_case_number(year: int, court_code: str, case_type: CaseType, serial: int) -> str:
    return f"({year}){court_code}{case_type.value}{serial}号"


def next_case_number(
    session: Session, *, court_id: str, court_code: str, year: int, case_type: CaseType
) -> str:
    """Allocate the next serial for this court, year and type; unique under concurrency."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(CaseSerial)
        .values(court_id=court_id, year=year, type_code=case_type.value, last=0)
        .on_conflict_do_nothing()
    )
    counter = session.exec(
        select(CaseSerial)
        .where(
            CaseSerial.court_id == court_id,
            CaseSerial.year == year,
            CaseSerial.type_code == case_type.value,
        )
        .with_for_update()
    ).one()
    # A number already on a case (imported, or entered before the counter existed) is
    # skipped rather than handed out twice.
    while True:
        counter.last += 1
        number = format_case_number(year, court_code, case_type, counter.last)
        if session.exec(select(Case.id).where(Case.case_number == number)).first() is None:
            break
    session.add(counter)
    session.flush()
    return number
