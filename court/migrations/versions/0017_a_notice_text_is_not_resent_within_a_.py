"""a notice text is not resent within a minute

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 17:00:00

A case party keeps when the court last texted it, so that a double click (or a second
clerk) does not text the same number twice in a row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import court.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("texted_at", court.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.drop_column("texted_at")
