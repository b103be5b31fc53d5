"""Swappable backends of the signing package."""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


class KeyStore(Protocol):
    """Holds the court's private keys; a file store by default, an HSM in production."""

    def exists(self, name: str) -> bool:
        """Return whether a key of this name is stored."""
        ...

    def store(self, name: str, key: PrivateKeyTypes) -> None:
        """Store a new key; refuse to overwrite an existing one."""
        ...

    def load(self, name: str) -> PrivateKeyTypes:
        """Load a stored key, raising KeyStoreError if it is missing or unreadable."""
        ...
