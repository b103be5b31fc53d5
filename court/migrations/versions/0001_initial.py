"""initial schema: accounts, identity, devices, cases, audit, history

Revision ID: 0001
Revises:
Create Date: 2026-11-28 12:02:28.855332

The audit trail and state history are append-only: triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import court.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("session_ref", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("device_ref", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_actor_account_id"), ["actor_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_object_id"), ["object_id"], unique=False)

    op.create_table(
        "case_cause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("official_no", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scheme", "code", name="uq_case_cause_code"),
    )
    with op.batch_alter_table("case_cause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_cause_scheme"), ["scheme"], unique=False)

    op.create_table(
        "court",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("request_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "otp_code",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("code_hmac", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("otp_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_otp_code_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_otp_code_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_otp_code_phone"), ["phone"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("id_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("id_match", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("id_masked", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("verification_method", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("verification_ref", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("lawyer_licence", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("verified_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_type", "id_match", name="uq_person_id"),
    )
    op.create_table(
        "state_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor_account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("state_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_state_history_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_state_history_entity_type"), ["entity_type"], unique=False
        )

    op.create_table(
        "account",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("court_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(phone IS NOT NULL) OR (username IS NOT NULL)", name="ck_account_has_login"
        ),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
        sa.UniqueConstraint("phone"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_court_id"), ["court_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_role"), ["role"], unique=False)

    op.create_table(
        "case",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("court_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("case_number", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cause_id", sa.Integer(), nullable=True),
        sa.Column("procedure", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_at", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cause_id"],
            ["case_cause.id"],
        ),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_court_id"), ["court_id"], unique=False)

    op.create_table(
        "case_cause_tag",
        sa.Column("cause_id", sa.Integer(), nullable=False),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cause_id"],
            ["case_cause.id"],
        ),
        sa.PrimaryKeyConstraint("cause_id", "tag"),
    )
    with op.batch_alter_table("case_cause_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_cause_tag_tag"), ["tag"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("token_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("family_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_token_family_id"), ["family_id"], unique=False)

    op.create_table(
        "case_party",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("represents_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["represents_id"],
            ["case_party.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "account_id", "role", name="uq_case_party"),
    )
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_party_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_party_case_id"), ["case_id"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("key_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("not_before", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_sha256"),
        sa.UniqueConstraint("serial"),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_person_id"), ["person_id"], unique=False)

    op.create_table(
        "reverify_challenge",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("challenge", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge"),
    )
    with op.batch_alter_table("reverify_challenge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reverify_challenge_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "staff_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("token_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", court.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_session_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "reverification",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("challenge_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("verified_at", court.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["reverify_challenge.id"],
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id"),
    )
    with op.batch_alter_table("reverification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reverification_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reverification_verified_at"), ["verified_at"], unique=False
        )

    _append_only_triggers()


APPEND_ONLY = ("audit_event", "state_history")


def _append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION forbid_change()"
            )
        return
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION forbid_change()")
        return
    for table in APPEND_ONLY:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{verb}")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("reverification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reverification_verified_at"))
        batch_op.drop_index(batch_op.f("ix_reverification_account_id"))

    op.drop_table("reverification")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_account_id"))

    op.drop_table("staff_session")
    with op.batch_alter_table("reverify_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reverify_challenge_account_id"))

    op.drop_table("reverify_challenge")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_person_id"))
        batch_op.drop_index(batch_op.f("ix_device_account_id"))

    op.drop_table("device")
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_party_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_party_account_id"))

    op.drop_table("case_party")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_family_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_account_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("case_cause_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_cause_tag_tag"))

    op.drop_table("case_cause_tag")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_court_id"))

    op.drop_table("case")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_role"))
        batch_op.drop_index(batch_op.f("ix_account_court_id"))

    op.drop_table("account")
    with op.batch_alter_table("state_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_state_history_entity_type"))
        batch_op.drop_index(batch_op.f("ix_state_history_entity_id"))

    op.drop_table("state_history")
    op.drop_table("person")
    with op.batch_alter_table("otp_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_otp_code_phone"))
        batch_op.drop_index(batch_op.f("ix_otp_code_created_at"))
        batch_op.drop_index(batch_op.f("ix_otp_code_address"))

    op.drop_table("otp_code")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_created_at"))

    op.drop_table("idempotency_record")
    op.drop_table("court")
    with op.batch_alter_table("case_cause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_cause_scheme"))

    op.drop_table("case_cause")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_object_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_account_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
