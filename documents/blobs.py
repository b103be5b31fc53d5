"""The filesystem blob store: content-addressed by SHA-256, written durably, never changed.

A blob is streamed into a temporary file while its hash is computed, fsynced, then renamed
into ``sha256/ab/cd/<hash>`` and the directory fsynced. Only after that may the database
refer to it (DESIGN.md §3), so a crash leaves at most a temporary file, which
``remove_stale_temporaries`` clears.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from documents.interfaces import BlobRef

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class BlobError(Exception):
    code = "blob_error"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{self.code}: {reason}")


class BlobMissing(BlobError):
    code = "blob_missing"


class BlobTooLarge(BlobError):
    code = "blob_too_large"


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        (root / "sha256").mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not _HEX64.match(sha256):
            raise BlobMissing(f"not a SHA-256: {sha256!r}")
        return self._root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def temporary_file(self) -> tuple[int, Path]:
        """Open a new temporary file in the store's own folder (same filesystem as blobs)."""
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        return fd, Path(name)

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> BlobRef:
        fd, tmp = self.temporary_file()
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLarge(f"more than {max_bytes} bytes")
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            return self._install(tmp, digest.hexdigest(), size)
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, path: str, *, move: bool = False) -> BlobRef:
        source = Path(path)
        digest = hashlib.sha256()
        with open(source, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        size = source.stat().st_size
        if move and source.parent.resolve() == self._tmp.resolve():
            with open(source, "rb") as fh:
                os.fsync(fh.fileno())
            try:
                return self._install(source, digest.hexdigest(), size)
            finally:
                source.unlink(missing_ok=True)
        fd, tmp = self.temporary_file()
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as fh:
                shutil.copyfileobj(fh, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            return self._install(tmp, digest.hexdigest(), size)
        finally:
            tmp.unlink(missing_ok=True)
            if move:
                source.unlink(missing_ok=True)

    def _install(self, tmp: Path, sha256: str, size: int) -> BlobRef:
        final = self.path(sha256)
        if final.exists():
            return BlobRef(sha256, size)  # same bytes, already stored: content addressing
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)  # originals are immutable
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return BlobRef(sha256, size)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError as exc:
            raise BlobMissing(sha256) from exc

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError as exc:
            raise BlobMissing(sha256) from exc

    def remove_stale_temporaries(self, older_than_seconds: float = 3600) -> int:
        """Delete temporary files left by interrupted writes; return how many went."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in self._tmp.iterdir():
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
