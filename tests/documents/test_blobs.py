"""The content-addressed blob store: durable, immutable, deduplicated, and tidy."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from documents.blobs import BlobMissing, BlobTooLarge, FilesystemBlobStore


def test_a_blob_is_named_by_its_sha256_and_read_back(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    data = b"page bytes " * 10_000
    ref = store.put_stream(iter([data[:50_000], data[50_000:]]))
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    with store.open(ref.sha256) as fh:
        assert fh.read() == data
    # Originals are immutable: the file is read-only.
    assert store.path(ref.sha256).stat().st_mode & 0o222 == 0


def test_the_same_bytes_are_stored_once(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    first = store.put_stream([b"same"])
    second = store.put_stream([b"same"])
    assert first == second
    assert len([p for p in (tmp_path / "sha256").rglob("*") if p.is_file()]) == 1


def test_too_many_bytes_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    with pytest.raises(BlobTooLarge):
        store.put_stream([b"x" * 600, b"x" * 600], max_bytes=1000)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [p for p in (tmp_path / "sha256").rglob("*") if p.is_file()] == []


def test_a_missing_or_malformed_name_is_reported(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    with pytest.raises(BlobMissing):
        store.open("0" * 64)
    with pytest.raises(BlobMissing):
        store.open("../../etc/passwd")


def test_leftovers_of_interrupted_writes_are_removed(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    fd, stale = store.temporary_file()
    os.close(fd)
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fd, fresh = store.temporary_file()
    os.close(fd)
    assert store.remove_stale_temporaries(older_than_seconds=3600) == 1
    assert not stale.exists()
    assert fresh.exists()
