"""Rate limits on staff sign-in and verification (per address) and uploads (per account):
a 429 in the JSON error shape with Retry-After, shared by every worker (database counters)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session

from court.db import get_engine
from court.errors import RateLimited
from court.ratelimit import hit
from tests import factories


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
