"""Idempotency-Key handling for state-changing API calls (DESIGN.md §6).

The record is inserted at the start of the request's transaction and completed with the
response in the same transaction as the business write, so a committed record always holds
its response. A concurrent twin blocks on the unique key (PostgreSQL) or on the write lock
(SQLite), then finds the committed record and replays it: one effect, one answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from flask import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from court.api.models import IdempotencyRecord
from court.db import utcnow
from court.errors import BadRequest, Conflict

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    zh = "该幂等键已用于另一个不同的请求。"
    en = "This Idempotency-Key was already used for a different request."


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


#: Headers that belong to the answer, not to the moment: a replay carries them too.
REPLAYED_HEADERS = ("Location", "Tus-Resumable", "Upload-Offset")


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_sha256 != fingerprint:
        raise IdempotencyKeyReused({"key": record.key})
    response = Response(record.response_body, status=record.status, mimetype="application/json")
    for name, value in (record.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _find(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    ).first()


def run_idempotent(
    session: Session,
    *,
    scope: str,
    key: str,
    method: str,
    path: str,
    body: bytes,
    call: Callable[[], Response],
) -> Response:
    """Run ``call`` once per (scope, key); replay its stored response on a retry."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(
            {"header": "Idempotency-Key"},
            zh="Idempotency-Key 必须是 1 至 255 个可打印字符。",
            en="Idempotency-Key must be 1 to 255 printable characters.",
        )
    fingerprint = request_fingerprint(method, path, body)
    existing = _find(session, scope, key)
    if existing is not None:
        return _replay(existing, fingerprint)
    record = IdempotencyRecord(
        scope=scope,
        key=key,
        method=method,
        path=path,
        request_sha256=fingerprint,
        status=0,
        response_body="",
        created_at=utcnow(),
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        # A twin committed first; its response is now visible.
        session.rollback()
        twin = _find(session, scope, key)
        if twin is None:
            raise
        return _replay(twin, fingerprint)
    try:
        response = call()
    except Exception:
        # Errors are not replayed; a corrected retry with the same key may run.
        session.delete(record)
        session.flush()
        raise
    if response.status_code >= 400:
        session.delete(record)
        session.flush()
        return response
    record.status = response.status_code
    record.response_body = response.get_data(as_text=True)
    record.response_headers = {
        name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
    }
    json.loads(record.response_body)  # only JSON responses are stored
    session.add(record)
    session.flush()
    return response


def prune_idempotency_records(session: Session, *, older_than: dt.timedelta) -> int:
    """Delete records past retention; returns how many went."""
    cutoff = utcnow() - older_than
    result = session.exec(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff)
    )
    return int(result.rowcount or 0)
