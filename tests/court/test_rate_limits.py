"""Rate limits on staff sign-in and verification (per address) and uploads (per account):
a 429 in the JSON error shape with Retry-After, shared by every worker (database counters)."""

from __future__ import annotations

import multiprocessing
import sqlite3
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from court.db import get_engine
from court.errors import RateLimited
from court.ratelimit import hit
from tests import factories
from tests.conftest import PG_URL


def test_staff_sign_in_is_limited_per_address(app: Flask, session: Session) -> None:
    factories.staff(session, factories.Role.CLERK, "clerk1")
    factories.staff(session, factories.Role.JUDGE, "judge1")
    session.commit()
    limit = app.extensions["court.settings"].sign_in_per_minute
    guesser = app.test_client()
    html = guesser.get("/staff/sign-in").get_data(as_text=True)
    token = factories.csrf_token(html)
    statuses = [
        guesser.post(
            "/staff/sign-in", data={"username": "clerk1", "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [401] * limit
    assert statuses[-1] == 429
    # Every account waits from this address: it is over its limit for this minute.
    right = guesser.post(
        "/staff/sign-in",
        data={"username": "judge1", "password": factories.STAFF_PASSWORD, "csrf_token": token},
    )
    assert right.status_code == 429
    # Another address is not affected (clerk1 itself is locked by the failures, per account).
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    page = other.get("/staff/sign-in").get_data(as_text=True)
    reply = other.post(
        "/staff/sign-in",
        data={
            "username": "judge1",
            "password": factories.STAFF_PASSWORD,
            "csrf_token": factories.csrf_token(page),
        },
    )
    assert reply.status_code == 302


def test_verification_is_limited_per_address_with_retry_after(app: Flask) -> None:
    limit = app.extensions["court.settings"].verify_per_minute
    client = app.test_client()
    for _ in range(limit):
        assert (
            client.post(
                "/api/v1/verify", data=b"not a pdf", content_type="application/pdf"
            ).status_code
            == 415
        )
    refused = client.post("/api/v1/verify", data=b"%PDF-1.7", content_type="application/pdf")
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_counters_reset_with_the_window(app: Flask) -> None:
    engine = get_engine(app)
    for _ in range(3):
        hit(engine, "test:x", limit=3, window=60, now=1_000_020)
    with pytest.raises(RateLimited) as refused:
        hit(engine, "test:x", limit=3, window=60, now=1_000_030)
    assert refused.value.headers["Retry-After"] == "50"
    hit(engine, "test:x", limit=3, window=60, now=1_000_080)  # next window


def _first_hit(path: str, barrier: Barrier, results: Queue[str]) -> None:
    """One gunicorn worker's first limited request on a fresh instance."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    barrier.wait()
    try:
        hit(engine, "sign_in:127.0.0.1", limit=1000, window=60)
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - the test reports whatever a worker met
        results.put(repr(exc))


@pytest.mark.skipif(bool(PG_URL), reason="the side database exists only beside SQLite")
def test_workers_creating_the_counter_database_at_once_all_succeed(tmp_path: Path) -> None:
    """Regression: under load the first staff sign-ins, landing on both workers at once,
    met "table rate_counter already exists" or "database is locked" → 500."""
    spawn = multiprocessing.get_context("spawn")
    for round_ in range(3):
        path = str(tmp_path / f"court-{round_}.sqlite3")
        barrier = spawn.Barrier(4)
        results = spawn.Queue()
        workers = [
            spawn.Process(target=_first_hit, args=(path, barrier, results)) for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [results.get(timeout=5) for _ in workers] == ["ok"] * 4
        # Every hit was counted, in one shared counter.
        side = sqlite3.connect(f"{path}.ratelimit")
        assert side.execute("SELECT hits FROM rate_counter").fetchall() == [(4,)]
        assert side.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        side.close()
