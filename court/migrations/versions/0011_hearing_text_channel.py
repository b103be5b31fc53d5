"""hearing text channel: thread messages and attachments may belong to a hearing

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 15:20:00

The one-thread check on thread_message now counts three thread columns. SQLite cannot
alter a check constraint in place: the table is rebuilt (batch mode), and its append-only
triggers are dropped before and created again after.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from court.migrations import append_only

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

THREE = (
    "(CASE WHEN mediation_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN appointment_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN hearing_id IS NULL THEN 0 ELSE 1 END) = 1"
)
TWO = "(mediation_id IS NULL) <> (appointment_id IS NULL)"
#: Rebuilt by batch mode on SQLite, which loses its triggers: dropped and made again.
APPEND_ONLY = ("thread_message",)


def _columns(check: str, add: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        append_only.drop(APPEND_ONLY)
    with op.batch_alter_table("thread_attachment", schema=None) as batch_op:
        if add:
            batch_op.add_column(
                sa.Column("hearing_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
            )
            batch_op.create_index("ix_thread_attachment_hearing_id", ["hearing_id"])
            batch_op.create_foreign_key(
                "fk_thread_attachment_hearing_id", "hearing", ["hearing_id"], ["id"]
            )
        else:
            batch_op.drop_constraint("fk_thread_attachment_hearing_id", type_="foreignkey")
            batch_op.drop_index("ix_thread_attachment_hearing_id")
            batch_op.drop_column("hearing_id")
    with op.batch_alter_table("thread_message", schema=None, recreate="always" if not postgres else "auto") as batch_op:
        batch_op.drop_constraint("ck_message_one_thread", type_="check")
        if add:
            batch_op.add_column(
                sa.Column("hearing_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
            )
            batch_op.create_index("ix_thread_message_hearing_id", ["hearing_id"])
            batch_op.create_foreign_key(
                "fk_thread_message_hearing_id", "hearing", ["hearing_id"], ["id"]
            )
        else:
            batch_op.drop_constraint("fk_thread_message_hearing_id", type_="foreignkey")
            batch_op.drop_index("ix_thread_message_hearing_id")
            batch_op.drop_column("hearing_id")
        batch_op.create_check_constraint("ck_message_one_thread", sa.text(check))
    if not postgres:
        append_only.add(APPEND_ONLY)


def upgrade() -> None:
    _columns(THREE, add=True)


def downgrade() -> None:
    _columns(TWO, add=False)
