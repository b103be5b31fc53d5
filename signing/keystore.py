"""A KeyStore keeping each private key in a passphrase-protected PKCS#8 PEM file."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from signing.errors import KeyStoreError


class FileKeyStore:
    """Private keys as ``<name>.key.pem`` files, encrypted with the passphrase, mode 0600."""

    def __init__(self, folder: Path, passphrase: bytes) -> None:
        if len(passphrase) < 12:
            raise KeyStoreError("the key passphrase must be at least 12 bytes")
        self._folder = folder
        self._passphrase = passphrase
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise KeyStoreError(f"bad key name {name!r}")
        return self._folder / f"{name}.key.pem"

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def store(self, name: str, key: PrivateKeyTypes) -> None:
        path = self._path(name)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            # link() refuses to replace: a key, once made, is never overwritten.
            os.link(tmp, path)
        except FileExistsError as exc:
            raise KeyStoreError(f"key {name!r} already exists") from exc
        finally:
            tmp.unlink()

    def load(self, name: str) -> PrivateKeyTypes:
        path = self._path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyStoreError(f"key {name!r} is missing") from exc
        try:
            return serialization.load_pem_private_key(data, self._passphrase)
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(f"key {name!r} cannot be read with this passphrase") from exc
