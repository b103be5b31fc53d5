"""Resumable page uploads (tus 1.0 core + creation + termination), and page intake.

The bytes of an unfinished page live in ``instance/uploads/<id>.part``; the database holds
the offset confirmed so far. A PATCH first cuts the part file back to that offset (bytes a
crash left behind are not trusted), then appends and fsyncs before moving the offset on, so
an upload resumes correctly after a dropped connection or a server restart.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import Session, col, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.db import unlink_after_commit, utcnow
from court.errors import Conflict, CourtError, KeepsChanges, NotFound
from court.filing.errors import PageHashMismatch, PageRefused, TooManyPages
from court.filing.models import Page, Upload
from court.filing.services import draft_for_change, page_count
from documents.blobs import FilesystemBlobStore
from documents.errors import PageRejected
from documents.images import ImageLimits, derive_page, inspect_page

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 256 * 1024


class OffsetMismatch(Conflict):
    code = "upload_offset_mismatch"
    zh = "上传偏移量与服务器记录不一致，请先查询当前偏移量。"
    en = "Upload-Offset does not match the server's offset; ask with HEAD first."


class UploadTooLarge(CourtError):
    status = 413
    code = "page_too_large"
    zh = "照片超过大小上限。"
    en = "The page is larger than allowed."


class LengthExceeded(Conflict):
    code = "upload_length_exceeded"
    zh = "上传的字节数超过了创建上传时声明的长度（Upload-Length）。"
    en = "More bytes were sent than the Upload-Length declared when the upload was created."


class UploadNotFound(NotFound):
    code = "upload_not_found"
    zh = "未找到该上传。"
    en = "No such upload."


class UploadRestarted(KeepsChanges, Conflict):
    code = "upload_restarted"
    zh = "服务器上的已传内容丢失，请从头重新上传该页（偏移量已重置为 0）。"
    en = "The bytes received so far were lost; upload the page again from offset 0."


class UploadFinished(Conflict):
    code = "upload_finished"
    zh = "该上传已完成。"
    en = "This upload is already complete."


def part_path(folder: Path, upload: Upload) -> Path:
    return folder / f"{upload.id}.part"


def create_upload(
    session: Session,
    actor: Actor,
    account: Account,
    *,
    submission_id: str,
    length: int,
    declared_sha256: str,
    client_device: str | None,
    max_bytes: int,
    max_pages: int,
    folder: Path,
) -> Upload:
    """Reserve the next page position of a draft and an empty part file."""
    submission = draft_for_change(session, account.id, submission_id)
    if length <= 0:
        raise PageRefused({"reason": "empty"}, zh="照片文件为空。", en="The page is empty.")
    if length > max_bytes:
        raise UploadTooLarge({"max_bytes": max_bytes})
    if not SHA256_HEX.match(declared_sha256):
        raise PageRefused({"reason": "declared sha256 must be 64 lowercase hex digits"})
    used = page_count(session, submission.id)
    if used >= max_pages:
        raise TooManyPages({"max_pages": max_pages})
    last = session.exec(
        select(Upload.position)
        .where(Upload.submission_id == submission.id)
        .order_by(col(Upload.position).desc())
    ).first()
    upload = Upload(
        submission_id=submission.id,
        account_id=account.id,
        position=(last or 0) + 1,
        length=length,
        declared_sha256=declared_sha256,
        client_device=client_device,
        created_at=utcnow(),
    )
    session.add(upload)
    session.flush()
    folder.mkdir(parents=True, exist_ok=True)
    part_path(folder, upload).touch()
    record_audit(session, actor, "upload.create", "upload", upload.id, {"length": length})
    return upload


def own_upload(session: Session, account_id: str, upload_id: str, *, lock: bool = False) -> Upload:
    query = select(Upload).where(Upload.id == upload_id)
    if lock:
        query = query.with_for_update()
    upload = session.exec(query).first()
    if upload is None or upload.account_id != account_id:
        raise UploadNotFound({"upload": upload_id})
    return upload


def append_chunk(
    session: Session,
    upload: Upload,
    *,
    offset: int,
    chunks: Iterator[bytes],
    folder: Path,
) -> int:
    """Append request bytes at ``offset``; return the new offset (fsynced before it counts)."""
    if upload.completed_at is not None:
        raise UploadFinished
    if offset != upload.offset:
        raise OffsetMismatch({"offset": upload.offset})
    path = part_path(folder, upload)
    if upload.offset and (not path.exists() or path.stat().st_size < upload.offset):
        # The bytes the offset counts are gone: never pad with zeros; start the page again.
        upload.offset = 0
        session.add(upload)
        raise UploadRestarted({"offset": 0})
    with open(path, "r+b" if path.exists() else "w+b") as fh:
        fh.truncate(upload.offset)
        fh.seek(upload.offset)
        written = upload.offset
        for chunk in chunks:
            written += len(chunk)
            if written > upload.length:
                raise LengthExceeded({"upload_length": upload.length})
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    upload.offset = written
    session.add(upload)
    return written


def complete_upload(
    session: Session,
    actor: Actor,
    upload: Upload,
    *,
    folder: Path,
    blobs: FilesystemBlobStore,
    limits: ImageLimits,
) -> Page:
    """Check the finished bytes and turn them into a page: original, display copy, warnings.

    On any refusal the part file and the upload are removed: nothing of a bad page is kept.
    """
    path = part_path(folder, upload)
    try:
        actual = _sha256_file(path)
        if actual != upload.declared_sha256:
            raise PageHashMismatch({"declared": upload.declared_sha256, "received": actual})
        try:
            info = inspect_page(path, limits)
        except PageRejected as exc:
            raise PageRefused({"reason": exc.code, "detail": exc.reason}) from exc
        fd, display_tmp = blobs.temporary_file()
        os.close(fd)
        display, warnings = derive_page(path, display_tmp, limits=limits)
        display_ref = blobs.put_file(str(display_tmp), move=True)
        # A copy, not a move: until this transaction commits, the upload (and its part file)
        # is what the database knows; a crash here must leave both for the client to resume.
        original_ref = blobs.put_file(str(path))
        unlink_after_commit(session, path)
    except CourtError:
        path.unlink(missing_ok=True)
        session.delete(upload)
        session.flush()
        raise
    page = Page(
        submission_id=upload.submission_id,
        position=upload.position,
        original_sha256=original_ref.sha256,
        original_size=original_ref.size,
        format=info.format,
        width=info.width,
        height=info.height,
        display_sha256=display_ref.sha256,
        display_width=display.width,
        display_height=display.height,
        uploader_id=upload.account_id,
        uploaded_at=utcnow(),
        captured_at=info.captured_at,
        client_device=upload.client_device,
        warnings=[
            {
                "code": w.code,
                "message_zh": w.message_zh,
                "message_en": w.message_en,
                "measured": w.measured,
                "threshold": w.threshold,
            }
            for w in warnings
        ],
    )
    session.add(page)
    session.flush()
    upload.completed_at = utcnow()
    upload.page_id = page.id
    session.add(upload)
    record_audit(
        session,
        actor,
        "page.add",
        "page",
        page.id,
        {
            "submission": page.submission_id,
            "sha256": page.original_sha256,
            "position": page.position,
        },
    )
    return page


def terminate_upload(
    session: Session, actor: Actor, account: Account, upload_id: str, *, folder: Path
) -> None:
    """tus termination: drop an unfinished upload, or a finished page of a draft."""
    upload = own_upload(session, account.id, upload_id, lock=True)
    draft_for_change(session, account.id, upload.submission_id)
    if upload.page_id is not None:
        page = session.get(Page, upload.page_id)
        upload.page_id = None
        session.add(upload)
        session.flush()
        if page is not None:
            session.delete(page)
    session.delete(upload)
    session.flush()
    part_path(folder, upload).unlink(missing_ok=True)
    record_audit(session, actor, "upload.terminate", "upload", upload_id)


def _sha256_file(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove_abandoned_uploads(session: Session, folder: Path, *, older_than: dt.timedelta) -> int:
    """Drop unfinished uploads (and their part files) that nobody resumed in time."""
    cutoff = utcnow() - older_than
    stale = list(
        session.exec(
            select(Upload).where(
                col(Upload.completed_at).is_(None), col(Upload.created_at) < cutoff
            )
        )
    )
    for upload in stale:
        part_path(folder, upload).unlink(missing_ok=True)
        session.delete(upload)
    session.flush()
    # A finished page's part file is removed after its commit; a crash in between leaves
    # it behind, with its bytes safe in the blob store. Sweep those too.
    if folder.is_dir():
        finished = {
            part_path(folder, u).name
            for u in session.exec(select(Upload).where(col(Upload.completed_at).is_not(None)))
        }
        for leftover in folder.glob("*.part"):
            if leftover.name in finished:
                leftover.unlink(missing_ok=True)
    return len(stale)
