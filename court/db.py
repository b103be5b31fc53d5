"""The database: engine set-up, one session per request, and the single commit point.

SQLite is the embedded default: WAL, ``synchronous=FULL``, foreign keys on, and write
requests take the write lock up front (``BEGIN IMMEDIATE``) so that two writers never
deadlock upgrading a read snapshot. PostgreSQL runs at READ COMMITTED; services lock the
rows they change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import DateTime, Dialect, Engine, TypeDecorator, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str) -> Engine:
    """Create an engine with the dialect settings this project relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling defers it wrongly).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def open_session(engine: Engine, *, write: bool) -> Session:
    """Open a session; on SQLite a writing session takes the write lock at its first statement."""
    session = Session(engine, expire_on_commit=False)
    if write and is_sqlite(engine):
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return session


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["court.engine"]
    return engine


def will_write() -> None:
    """Say that this safe-method request writes (a GET that signs a new log checkpoint):
    its session takes the write lock up front on SQLite, so that it waits for other
    writers instead of failing to upgrade a read transaction."""
    if g.get("db_write"):
        return
    g.db_write = True
    session: Session | None = g.pop("db_session", None)
    if session is not None:  # opened read-only by an earlier hook: start again
        session.rollback()
        session.close()


def db() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        write = request.method not in SAFE_METHODS or bool(g.get("db_write"))
        g.db_session = open_session(get_engine(), write=write)
    session: Session = g.db_session
    return session


def commit_request() -> None:
    """Commit this request's work: the one commit point of a request."""
    session: Session | None = g.get("db_session")
    if session is not None:
        session.commit()


def rollback_request() -> None:
    session: Session | None = g.get("db_session")
    if session is not None:
        session.rollback()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """Run one unit of work outside a request (CLI, jobs): commit on success, else roll back."""
    session = open_session(engine, write=True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def init_app(app: Flask, url: str) -> None:
    app.extensions["court.engine"] = make_engine(url)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC time")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def new_id() -> str:
    """Return a random public identifier (UUID4, hex): unguessable, no enumeration."""
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware UTC; the one clock services read."""
    return dt.datetime.now(dt.UTC)


_AFTER_COMMIT = "court.after_commit"


def after_commit(session: OrmSession, action: Callable[[], None], *, key: Hashable = None) -> None:
    """Run ``action`` once the session's transaction has committed, and never if it rolls
    back: for what must not happen before the database holds the change (deleting a file
    the database may still refer to, a text message, waking live streams). Actions run in
    the order they were added; an action added again under the same ``key`` runs once."""
    if not session.in_transaction():
        # Tie the action to a transaction now: with none begun, a rollback would have
        # nothing to drop and the next commit would run the action.
        session.begin()
    pending: dict[Hashable, Callable[[], None]] = session.info.setdefault(_AFTER_COMMIT, {})
    pending.setdefault(key if key is not None else object(), action)


@event.listens_for(OrmSession, "after_commit")
def _run_after_commit(session: OrmSession) -> None:
    for action in session.info.pop(_AFTER_COMMIT, {}).values():
        action()


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_on_rollback(session: OrmSession, previous_transaction: object) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def unlink_after_commit(session: Session, path: Path) -> None:
    """Delete ``path`` once the session's transaction has committed, and not before: a file
    the database still refers to must outlive a crash or a rollback."""
    after_commit(session, lambda: path.unlink(missing_ok=True))
