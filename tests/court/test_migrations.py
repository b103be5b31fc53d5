"""The migrations create exactly the schema the models describe, and move old data along."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Connection, create_engine, text

from court.db import get_engine
from court.migrate import alembic_config
from court.schema import metadata
from tests.conftest import PG_URL


def test_the_migrated_schema_matches_the_models(app: Flask) -> None:
    with get_engine(app).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on: a SQLite file, or a schema of its
    own in the PostgreSQL database (so the real server's constraints apply)."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    owner = create_engine(PG_URL)
    with owner.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_scratch CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_scratch"))
    joiner = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{joiner}options=-csearch_path%3Dmigration_scratch"
    with owner.begin() as conn:
        conn.execute(text("DROP SCHEMA migration_scratch CASCADE"))
    owner.dispose()


def test_places_booked_before_0015_get_their_case_party(scratch_url: str) -> None:
    """Migration 0016 finds the case party of each older hearing place by case, role and
    account (or name, while unlinked); witnesses and ambiguous places keep none."""
    config = alembic_config(scratch_url)
    command.upgrade(config, "0015")
    engine = create_engine(scratch_url)
    when = "2026-06-01 09:00:00+00:00"
    with engine.begin() as conn:
        _insert(conn, "court", rows=[{"id": "court", "code": "浙0203", "name": "海曙法院"}])
        _insert(conn, "account", state="active", failed_logins=0, created_at=when, rows=[
            {"id": "a1", "role": "litigant", "display_name": "原告", "phone": "13800000001"},
            {"id": "judge", "role": "judge", "display_name": "法官", "court_id": "court",
             "username": "judge"},
        ])  # fmt: skip
        _insert(conn, "case", court_id="court", title="t", procedure="simple",
                state="in_trial", created_at=when, rows=[{"id": "c1"}])  # fmt: skip
        _insert(conn, "case_party", case_id="c1", rows=[
            {"id": "plaintiff", "account_id": "a1", "role": "plaintiff", "name": "原告"},
            {"id": "defendant", "account_id": None, "role": "defendant", "name": "张三"},
            {"id": "twin-1", "account_id": None, "role": "defendant", "name": "李四"},
            {"id": "twin-2", "account_id": None, "role": "defendant", "name": "李四"},
        ])  # fmt: skip
        _insert(conn, "hearing", court_id="court", case_id="c1", judge_id="judge", title="t",
                scheduled_at=when, state="scheduled", mode="offline", recording=True,
                created_at=when, rows=[{"id": "h1"}])  # fmt: skip
        _insert(conn, "hearing_participant", hearing_id="h1", online=False,
                presence="invited", muted=False, rows=[
            {"id": "p-plaintiff", "account_id": "a1", "role": "plaintiff", "name": "原告"},
            {"id": "p-defendant", "account_id": None, "role": "defendant", "name": "张三"},
            {"id": "p-twin-1", "account_id": None, "role": "defendant", "name": "李四"},
            {"id": "p-twin-2", "account_id": None, "role": "defendant", "name": "李四"},
            {"id": "p-witness", "account_id": None, "role": "witness", "name": "张三"},
        ])  # fmt: skip
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, case_party_id FROM hearing_participant")).all()
    engine.dispose()
    found: dict[str, str | None] = dict(rows)  # place -> its case party
    assert found == {
        "p-plaintiff": "plaintiff",
        "p-defendant": "defendant",
        "p-twin-1": None,  # two unlinked defendants of one name: which is which is unknown
        "p-twin-2": None,
        "p-witness": None,  # a witness of the same name is no party
    }


def _insert(
    conn: Connection, table: str, *, rows: list[dict[str, object]], **common: object
) -> None:
    """Insert rows as an older release wrote them (plain SQL: the models are newer)."""
    for row in rows:
        values = {**common, **row}
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        conn.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'), values)
