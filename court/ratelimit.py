"""Fixed-window request counters shared by every worker (they live in the database).

A counter is bumped in its own short transaction, so that a refused or failing request
still counts. Used where guessing or flooding is the risk: staff sign-in per address,
verification uploads per address, page uploads per account. (Codes are limited per phone
and per address by the accounts service itself.)
"""

from __future__ import annotations

import time

from sqlalchemy import BigInteger, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from court.errors import RateLimited


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counter"

    key: str = Field(primary_key=True, max_length=200)
    window_start: int = Field(sa_type=BigInteger)
    hits: int


UPSERT = text(
    "INSERT INTO rate_counter (key, window_start, hits) VALUES (:key, :window, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    "hits = CASE WHEN rate_counter.window_start = :window THEN rate_counter.hits + 1 ELSE 1 END, "
    "window_start = :window "
    "RETURNING hits"
)


def hit(engine: Engine, key: str, *, limit: int, window: int, now: float | None = None) -> None:
    """Count one request under ``key``; refuse (429, Retry-After) past ``limit`` per window."""
    moment = int(now if now is not None else time.time())
    start = moment - moment % window
    with engine.begin() as conn:
        hits = conn.execute(UPSERT, {"key": key[:200], "window": start}).scalar_one()
    if hits > limit:
        raise RateLimited(start + window - moment, {"limit": key.split(":", 1)[0]})


def limit_address(bucket: str, per_minute: int) -> None:
    """Count this request against its client address (behind the trusted proxy)."""
    from flask import request

    from court.db import get_engine

    hit(get_engine(), f"{bucket}:{request.remote_addr}", limit=per_minute, window=60)


def limit_account(bucket: str, account_id: str, per_minute: int) -> None:
    from court.db import get_engine

    hit(get_engine(), f"{bucket}:{account_id}", limit=per_minute, window=60)
