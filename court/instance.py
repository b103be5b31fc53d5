"""Prepare the instance folder and the secrets that live in it in development."""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from court.settings import Settings, SettingsError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstanceSecrets:
    """The secrets the app needs; in production they come from the environment only."""

    secret_key: str
    data_key: bytes
    key_passphrase: bytes


def prepare_instance(settings: Settings) -> InstanceSecrets:
    """Create the instance folders and return the secrets, generating them in development."""
    root = settings.instance_path
    for sub in ("", "blobs", "keys", "pki"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    given = {
        "secret_key": settings.secret_key.get_secret_value() if settings.secret_key else None,
        "data_key": settings.data_key.get_secret_value() if settings.data_key else None,
        "key_passphrase": (
            settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
        ),
    }
    missing = [name for name, value in given.items() if value is None]
    if missing and settings.is_production:
        raise SettingsError(
            "invalid configuration: production needs "
            + ", ".join(f"MICROCOURT_{name.upper()}" for name in missing)
        )
    if missing:
        stored = _development_secrets(root / "secrets.json")
        given = {name: value or stored[name] for name, value in given.items()}
    assert given["secret_key"]
    assert given["data_key"]
    assert given["key_passphrase"]
    return InstanceSecrets(
        secret_key=given["secret_key"],
        data_key=bytes.fromhex(given["data_key"]),
        key_passphrase=given["key_passphrase"].encode(),
    )


def _development_secrets(path: Path) -> dict[str, str]:
    """Load or create the development secrets file, warning that it is a stand-in."""
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
    else:
        data = {
            "secret_key": secrets.token_hex(32),
            "data_key": secrets.token_hex(32),
            "key_passphrase": secrets.token_urlsafe(24),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
    log.warning(
        "DEVELOPMENT STAND-IN: secrets and the key passphrase are read from %s beside the keys; "
        "production must set MICROCOURT_SECRET_KEY, MICROCOURT_DATA_KEY and "
        "MICROCOURT_KEY_PASSPHRASE",
        path,
    )
    return data


def derive_key(master: bytes, purpose: str) -> bytes:
    """Derive an independent 32-byte key for one purpose from the data key (HKDF, RFC 5869)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"microcourt/" + purpose.encode()
    ).derive(master)


def instance_secrets() -> InstanceSecrets:
    """Return the running app's secrets."""
    found: InstanceSecrets = current_app.extensions["court.secrets"]
    return found
