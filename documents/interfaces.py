"""Swappable backends of the documents package."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class BlobRef:
    """A stored blob: the SHA-256 of its bytes (hex) is its name."""

    sha256: str
    size: int


class BlobStore(Protocol):
    """Content-addressed, immutable storage for photos, PDFs and recordings.

    The filesystem store is the default; an S3-compatible store can take its place.
    """

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> BlobRef:
        """Store the bytes, durably, before returning their reference."""
        ...

    def put_file(self, path: str, *, move: bool = False) -> BlobRef:
        """Store the content of a local file (moving it in when ``move``)."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading; raise BlobMissing if absent."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...
