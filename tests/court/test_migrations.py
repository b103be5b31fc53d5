"""The migrations create exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from court.db import get_engine
from court.schema import metadata


def test_the_migrated_schema_matches_the_models(app: Flask) -> None:
    with get_engine(app).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
