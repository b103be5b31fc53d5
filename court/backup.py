"""One command takes a consistent backup of the database, the blobs and the keys; one
restores it into a fresh instance and checks it.

Consistency comes from the order: blobs are written (and fsynced) before any row refers
to them, so a database snapshot taken *first* refers only to blobs that exist; the blob
store is copied after it. The database snapshot is SQLite's online backup, or ``pg_dump``
(one transaction snapshot) for PostgreSQL. Keys are the instance's ``pki`` and ``keys``
folders; in development also ``secrets.json``. In production the secrets (secret key,
data key, key passphrase) live outside the instance and must be restored from where they
are kept — the backup says so in its manifest.

The manifest lists every file with its SHA-256 and the evidence log's size and root when
the backup began; a restore refuses a backup whose files do not match, and afterwards
proves that the restored log extends the recorded one (RFC 9162 consistency proof).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from court.db import open_session
from signing.evidence.errors import ProofError
from signing.evidence.merkle import verify_consistency
from signing.evidence.store import EvidenceLog

FORMAT = "microcourt-backup/1"
MANIFEST = "manifest.json"
KEY_FOLDERS = ("pki", "keys")


class BackupError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise BackupError(f"{name} is not installed")
    return str(candidates[-1])


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments and environment for a SQLAlchemy PostgreSQL URL."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or ""]
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        args += ["--host", str(host)]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _log_state(engine: Engine, log: EvidenceLog) -> tuple[int, str]:
    session = open_session(engine, write=False)
    try:
        size = log.size(session)
        return size, log.root(session, size).hex() if size else ""
    finally:
        session.close()


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    files: int
    bytes: int
    log_size: int


def backup(engine: Engine, instance: Path, log: EvidenceLog, destination: Path) -> BackupReport:
    """Write a backup of the instance into ``destination`` (which must not exist yet)."""
    if destination.exists():
        raise BackupError(f"{destination} exists; a backup goes into a new folder")
    destination.mkdir(parents=True)
    log_size, log_root = _log_state(engine, log)
    url = engine.url.render_as_string(hide_password=False)
    # 1. The database, first: it refers only to blobs that exist already.
    if engine.dialect.name == "sqlite":
        database = destination / "court.sqlite3"
        source = sqlite3.connect(engine.url.database or "")
        target = sqlite3.connect(database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        kind = "sqlite"
    else:
        database = destination / "court.pgdump"
        args, env = _pg_args(url)
        subprocess.run(  # noqa: S603 - our own tool path and the configured database URL
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--file",
                str(database),
                *args,
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        kind = "postgresql"
    # 2. The blobs (content-addressed, immutable) and 3. the keys.
    store = instance / "blobs" / "sha256"
    if store.exists():
        shutil.copytree(store, destination / "blobs" / "sha256")
    else:
        (destination / "blobs" / "sha256").mkdir(parents=True)
    for folder in KEY_FOLDERS:
        if (instance / folder).exists():
            shutil.copytree(instance / folder, destination / folder)
    secrets_file = instance / "secrets.json"
    if secrets_file.exists():
        shutil.copy2(secrets_file, destination / "secrets.json")
    files = {}
    total = 0
    for path in sorted(p for p in destination.rglob("*") if p.is_file()):
        files[str(path.relative_to(destination))] = _sha256(path)
        total += path.stat().st_size
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": kind,
        "log": {"size": log_size, "root": log_root},
        "secrets": (
            "included (development stand-in)"
            if secrets_file.exists()
            else "NOT included: restore MICROCOURT_SECRET_KEY, MICROCOURT_DATA_KEY and "
            "MICROCOURT_KEY_PASSPHRASE from the secret store"
        ),
        "files": files,
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return BackupReport(destination, len(files), total, log_size)


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, after checking every file it lists (and that nothing is missing)."""
    if not (source / MANIFEST).is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not a backup")
    manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError("not a micro-court backup")
    for name, digest in manifest["files"].items():
        path = source / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{name} is missing or altered")
    return manifest


def restore_files(source: Path, instance: Path, database_url: str) -> dict[str, Any]:
    """Put a backup into a fresh instance folder and an empty database."""
    manifest = read_manifest(source)
    instance.mkdir(parents=True, exist_ok=True)
    for folder in (*KEY_FOLDERS, "blobs"):
        target = instance / folder
        if target.exists() and any(p.is_file() for p in target.rglob("*")):
            raise BackupError(f"{target} is not empty: restore into a fresh instance")
    for folder in KEY_FOLDERS:
        if (source / folder).exists():
            shutil.copytree(source / folder, instance / folder, dirs_exist_ok=True)
    shutil.copytree(source / "blobs" / "sha256", instance / "blobs" / "sha256", dirs_exist_ok=True)
    if (source / "secrets.json").exists():
        shutil.copy2(source / "secrets.json", instance / "secrets.json")
    if manifest["database"] == "sqlite":
        target = Path(make_url(database_url).database or "")
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"{target} exists: restore into a fresh instance")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "court.sqlite3", target)
    else:
        args, env = _pg_args(database_url)
        subprocess.run(  # noqa: S603 - our own tool path and the configured database URL
            [
                _pg_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                *args,
                str(source / "court.pgdump"),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
    return manifest


@dataclass(frozen=True)
class RestoreCheck:
    blobs: int
    referenced: int
    log_size: int


#: Columns that hold a blob's SHA-256 (some may be empty).
BLOB_COLUMNS = (
    ("page", "original_sha256"),
    ("page", "display_sha256"),
    ("submission", "packet_sha256"),
    ("submission", "handwriting_sha256"),
    ("document_revision", "sha256"),
    ("served_document", "pdf_sha256"),
    ("wet_ink_scan", "sha256"),
    ("thread_attachment", "sha256"),
    ("hearing_recording", "sha256"),
)


def check_restored(
    engine: Engine, instance: Path, log: EvidenceLog, manifest: dict[str, Any]
) -> RestoreCheck:
    """Every blob matches its name, every referenced blob exists, and the restored log
    extends the one recorded when the backup began."""
    blobs = 0
    for path in (instance / "blobs" / "sha256").rglob("*"):
        if path.is_file():
            if _sha256(path) != path.name:
                raise BackupError(f"blob {path.name} does not match its hash")
            blobs += 1
    session: Session = open_session(engine, write=False)
    try:
        referenced = 0
        for table, column in BLOB_COLUMNS:
            for (sha,) in session.execute(text(f"SELECT {column} FROM {table}")):  # noqa: S608
                if not sha:
                    continue
                referenced += 1
                path = instance / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha
                if not path.is_file():
                    raise BackupError(f"{table}.{column} refers to a missing blob {sha}")
        size = log.size(session)
        recorded = manifest["log"]
        if recorded["size"]:
            if size < recorded["size"]:
                raise BackupError("the restored log is shorter than the recorded one")
            root = log.root(session, size)
            try:
                verify_consistency(
                    recorded["size"],
                    size,
                    bytes.fromhex(recorded["root"]),
                    root,
                    log.consistency_proof(session, recorded["size"], size)
                    if size > recorded["size"]
                    else [],
                )
            except ProofError as exc:
                raise BackupError(
                    f"the restored log does not extend the recorded one: {exc}"
                ) from exc
    finally:
        session.close()
    return RestoreCheck(blobs, referenced, size)
