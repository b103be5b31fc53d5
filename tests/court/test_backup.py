"""One command backs up database, blobs and keys; one restores them into a fresh instance,
where documents still verify and the evidence log extends the backed-up one."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from court import create_app
from court.backup import BackupError, backup, check_restored, read_manifest, restore_files
from court.db import get_engine
from tests.conftest import PG_URL
from tests.court.test_verification import _sealed_agreement


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of the same kind as the suite's."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'restored' / 'court.sqlite3'}"
        return
    name = f"microcourt_restore_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_and_restore_round_trip_with_documents_that_still_verify(
    app: Flask,
    client: FlaskClient,
    make_litigant,
    session: Session,
    tmp_path: Path,
    empty_database: str,
) -> None:
    _, pdf = _sealed_agreement(app, make_litigant, session)
    settings = app.extensions["court.settings"]
    folder = tmp_path / "backup"
    report = backup(
        get_engine(app), settings.instance_path, app.extensions["court.evidence_log"], folder
    )
    assert report.log_size > 0
    assert report.files > 10

    # A document issued after the backup is not in it.
    _, later_pdf = _sealed_agreement(app, make_litigant, session)
    restored = tmp_path / "restored"
    manifest = restore_files(folder, restored, empty_database)
    fresh = create_app(
        {"env": "testing", "instance_path": restored, "database_url": empty_database}
    )
    try:
        with fresh.app_context():
            check = check_restored(
                get_engine(fresh), restored, fresh.extensions["court.evidence_log"], manifest
            )
        assert check.log_size == report.log_size
        assert check.referenced > 0
        reply = fresh.test_client().post("/api/v1/verify", data=pdf, content_type="application/pdf")
        assert reply.json["genuine"] is True
        result = reply.json["report"]
        assert result["indication"] == "TOTAL-PASSED", result
        assert result["registry_match"] is True
        assert result["log_proof_ok"] is True
        later = fresh.test_client().post(
            "/api/v1/verify", data=later_pdf, content_type="application/pdf"
        )
        assert later.json["report"]["registry_match"] is not True  # unknown to this registry
        assert later.json["genuine"] is False
        # The restored court still signs with its own keys: the same root certificate.
        original = client.get("/pki/court-root.pem").data
        assert fresh.test_client().get("/pki/court-root.pem").data == original
    finally:
        fresh.extensions[
            "court.engine"
        ].dispose() if "court.engine" in fresh.extensions else get_engine(fresh).dispose()


def test_a_tampered_or_incomplete_backup_is_refused(
    app: Flask, make_litigant, session: Session, tmp_path: Path
) -> None:
    _sealed_agreement(app, make_litigant, session)
    settings = app.extensions["court.settings"]
    folder = tmp_path / "backup"
    backup(get_engine(app), settings.instance_path, app.extensions["court.evidence_log"], folder)
    with pytest.raises(BackupError):
        backup(
            get_engine(app), settings.instance_path, app.extensions["court.evidence_log"], folder
        )
    blob = next(p for p in (folder / "blobs" / "sha256").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"x")
    with pytest.raises(BackupError, match="altered"):
        read_manifest(folder)
    blob.unlink()
    with pytest.raises(BackupError, match="missing"):
        read_manifest(folder)


def test_the_two_commands(
    app: Flask, make_litigant, session: Session, tmp_path: Path, empty_database: str
) -> None:
    _sealed_agreement(app, make_litigant, session)
    folder = tmp_path / "nightly"
    out = app.test_cli_runner().invoke(args=["court", "backup", str(folder)])
    assert out.exit_code == 0, out.output
    assert "evidence log at" in out.output
    fresh = create_app(
        {"env": "testing", "instance_path": tmp_path / "new", "database_url": empty_database}
    )
    try:
        out = fresh.test_cli_runner().invoke(args=["court", "restore", str(folder)])
        assert out.exit_code == 0, out.output
        assert "blobs match their hashes" in out.output
        # Restoring over a restored instance is refused: it is not fresh any more.
        again = fresh.test_cli_runner().invoke(args=["court", "restore", str(folder)])
        assert again.exit_code != 0
    finally:
        get_engine(fresh).dispose()
