"""Fixed-window request counters shared by every worker (they live in the database).

A counter is bumped in its own short transaction, so that a refused or failing request
still counts (on SQLite in a small database of its own: see ``counter_engine``). Used
where guessing or flooding is the risk: staff sign-in per address, verification uploads
per address, page uploads per account. (Codes are limited per phone and per address by
the accounts service itself.)
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import BigInteger, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateTable
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


_SIDE_ENGINES: dict[str, Engine] = {}
_SIDE_LOCK = threading.Lock()


def counter_engine(engine: Engine) -> Engine:
    """Where the counters live. SQLite has one writer at a time: a request that holds the
    write lock would wait on itself if its counter shared the file, so on SQLite the
    counters have a small database of their own beside the main one. PostgreSQL locks rows:
    the main database serves."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return engine
    path = f"{engine.url.database}.ratelimit"
    with _SIDE_LOCK:
        side = _SIDE_ENGINES.get(path)
        if side is None:
            side = create_engine(
                f"sqlite:///{path}", connect_args={"timeout": 30, "check_same_thread": False}
            )
            _prepare_side_database(side)
            _SIDE_ENGINES[path] = side
    return side


def _prepare_side_database(side: Engine) -> None:
    """Create the counters' table and switch the file to WAL, safely when every gunicorn
    worker does it at once on its first limited request: the table is created with ``IF
    NOT EXISTS`` (a check-then-create loses the race: "table already exists"), and the
    journal-mode switch, which SQLite refuses with "database is locked" rather than wait
    while another connection is in the file, is retried until it holds."""
    with side.begin() as conn:
        conn.execute(CreateTable(SQLModel.metadata.tables["rate_counter"], if_not_exists=True))
    for attempt in range(_WAL_ATTEMPTS):
        try:
            with side.begin() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                if mode == "wal":
                    return
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        except OperationalError:
            if attempt == _WAL_ATTEMPTS - 1:
                raise
        time.sleep(0.02 * (attempt + 1))
    raise OperationalError("PRAGMA journal_mode=WAL", {}, Exception("the switch did not hold"))


_WAL_ATTEMPTS = 50


def hit(engine: Engine, key: str, *, limit: int, window: int, now: float | None = None) -> None:
    """Count one request under ``key``; refuse (429, Retry-After) past ``limit`` per window."""
    moment = int(now if now is not None else time.time())
    start = moment - moment % window
    with counter_engine(engine).begin() as conn:
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
