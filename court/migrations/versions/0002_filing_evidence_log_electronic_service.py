"""filing, evidence log, electronic service

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:18:17.551043

The evidence log tables get the same append-only triggers as the audit trail.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from court.migrations import append_only

import court.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_checkpoint',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('size')
    )
    op.create_table('log_leaf',
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('appended_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('index')
    )
    with op.batch_alter_table('log_leaf', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_leaf_event'), ['event'], unique=False)

    op.create_table('log_node',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('log_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('case_serial',
    sa.Column('court_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('type_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['court_id'], ['court.id'], ),
    sa.PrimaryKeyConstraint('court_id', 'year', 'type_code')
    )
    op.create_table('submission',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('court_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('corrects_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('challenge', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('challenge_expires_at', court.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('challenge_used_at', court.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('manifest', sa.Text(), nullable=True),
    sa.Column('manifest_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('handwriting_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('log_index', sa.Integer(), nullable=True),
    sa.Column('created_at', court.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', court.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_period_start', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['corrects_id'], ['submission.id'], ),
    sa.ForeignKeyConstraint(['court_id'], ['court.id'], ),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('challenge')
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_court_id'), ['court_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_state'), ['state'], unique=False)

    op.create_table('page',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('original_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('original_size', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('display_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('display_width', sa.Integer(), nullable=False),
    sa.Column('display_height', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uploaded_at', court.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('captured_at', court.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('client_device', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ),
    sa.ForeignKeyConstraint(['uploader_id'], ['account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'position', name='uq_page_position')
    )
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_submission_id'), ['submission_id'], unique=False)

    op.create_table('served_document',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('court_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipient_account_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pdf_size', sa.Integer(), nullable=False),
    sa.Column('consent_ground', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('served_at', court.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', court.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['court_id'], ['court.id'], ),
    sa.ForeignKeyConstraint(['recipient_account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('served_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_served_document_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_served_document_recipient_account_id'), ['recipient_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_served_document_submission_id'), ['submission_id'], unique=False)

    op.create_table('upload',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('declared_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_device', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', court.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', court.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('page_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_submission_id'), ['submission_id'], unique=False)
    append_only.add(LOG_TABLES)


#: The evidence log's leaves, subtrees and checkpoints are never changed once written.
LOG_TABLES = ("log_leaf", "log_node", "log_checkpoint")


def downgrade() -> None:
    append_only.drop(LOG_TABLES)
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_submission_id'))

    op.drop_table('upload')
    with op.batch_alter_table('served_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_served_document_submission_id'))
        batch_op.drop_index(batch_op.f('ix_served_document_recipient_account_id'))
        batch_op.drop_index(batch_op.f('ix_served_document_case_id'))

    op.drop_table('served_document')
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_submission_id'))

    op.drop_table('page')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_state'))
        batch_op.drop_index(batch_op.f('ix_submission_court_id'))
        batch_op.drop_index(batch_op.f('ix_submission_case_id'))
        batch_op.drop_index(batch_op.f('ix_submission_account_id'))

    op.drop_table('submission')
    op.drop_table('case_serial')
    op.drop_table('log_state')
    op.drop_table('log_node')
    with op.batch_alter_table('log_leaf', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_leaf_event'))

    op.drop_table('log_leaf')
    op.drop_table('log_checkpoint')
