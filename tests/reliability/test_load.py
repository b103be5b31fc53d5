"""Load through the production server (gunicorn, 2 workers × 32 threads, as `make run`):
mini-app clients reading and writing and staff browsing their desks, concurrently, for a
bounded time. Zero 5xx; throughput and p50/p99 are printed (run with -s to see them)."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import statistics
import threading
import time

import pytest
from sqlmodel import select

from bench.harness import gunicorn, temp_instance
from court import create_app
from court.accounts.models import Account
from court.accounts.services import issue_tokens
from court.cli import initialise
from court.db import get_engine, unit_of_work
from court.demo import DEMO_PASSWORD, DEMO_PHONE, seed_demo
from court.instance import instance_secrets
from court.mediation.models import Mediator
from tests.conftest import PG_URL

pytestmark = pytest.mark.slow
SECONDS = float(os.environ.get("MICROCOURT_LOAD_SECONDS", "60"))
PHONE_CLIENTS = 8
STAFF_CLIENTS = 3
#: What each demo staff member works on (their desks; other pages are not theirs).
PAGES = {
    "clerk": ["/staff/", "/staff/filings/", "/staff/mediations/", "/staff/hearings/"],
    "judge": ["/staff/", "/staff/documents/", "/staff/mediations/", "/staff/hearings/"],
    "mediator": ["/staff/", "/staff/mediations/", "/staff/documents/"],
}


def _prepare(instance: str) -> tuple[list[str], str]:
    app = create_app({"instance_path": instance})
    with app.app_context():
        initialise(app)
        settings = app.extensions["court.settings"]
        with unit_of_work(get_engine()) as session:
            seed_demo(session, settings, instance_secrets())
            litigant = session.exec(select(Account).where(Account.phone == DEMO_PHONE)).one()
            tokens = [
                issue_tokens(session, settings, litigant, address="127.0.0.1").access_token
                for _ in range(PHONE_CLIENTS)
            ]
            mediator = session.exec(select(Mediator)).first()
            assert mediator is not None
            mediator_id = mediator.id
    get_engine(app).dispose()
    return tokens, mediator_id


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []

    def add(self, started: float, status: int, what: str) -> None:
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status >= 500:
                self.errors.append(f"{status} {what}")


def _phone(port: int, token: str, mediator_id: str, stop: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - a workload mix, not a secret
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    reads = [
        "/api/v1/cases",
        "/api/v1/inbox",
        "/api/v1/mediations",
        "/api/v1/hearings",
        "/api/v1/mediators?area=simple_civil_commercial&limit=10",
        "/api/v1/log/checkpoint",
    ]
    while time.monotonic() < stop:
        started = time.perf_counter()
        if rng.random() < 0.15:
            path, method = f"/api/v1/mediators/{mediator_id}/complaints", "POST"
            body = json.dumps({"text": f"负载测试投诉 {rng.random():.6f}"})
        else:
            path, method, body = rng.choice(reads), "GET", None
        conn.request(method, path, body=body, headers=auth)
        response = conn.getresponse()
        response.read()
        tally.add(started, response.status, f"{method} {path}")
    conn.close()


def _staff(port: int, username: str, stop: float, tally: Tally) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request("GET", "/staff/sign-in")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    form = f"username={username}&password={DEMO_PASSWORD}&csrf_token={token.group(1)}"
    conn.request(
        "POST",
        "/staff/sign-in",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    signed = conn.getresponse()
    signed.read()
    tally.add(started, signed.status, "POST /staff/sign-in")
    if signed.status != 302:  # a failed sign-in is counted above; the desk is out of reach
        return
    cookie = signed.getheader("Set-Cookie", "").split(";", 1)[0] or cookie
    pages = PAGES[username]
    rng = random.Random(username)  # noqa: S311 - a workload mix, not a secret
    while time.monotonic() < stop:
        path = rng.choice(pages)
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        tally.add(started, response.status, f"GET {path}")
    conn.close()


@pytest.mark.skipif(
    bool(PG_URL), reason="the load runs the embedded-database server; once per CI run"
)
def test_mixed_load_through_the_production_server_has_no_server_errors() -> None:
    instance = str(temp_instance())
    tokens, mediator_id = _prepare(instance)
    tally = Tally()
    with gunicorn(
        "wsgi:app", {"MICROCOURT_INSTANCE_PATH": instance}, workers=2, threads=32
    ) as server:
        stop = time.monotonic() + SECONDS
        began = time.monotonic()
        threads = [
            threading.Thread(target=_phone, args=(server.port, t, mediator_id, stop, tally, n))
            for n, t in enumerate(tokens)
        ] + [
            threading.Thread(target=_staff, args=(server.port, u, stop, tally))
            for u in ("clerk", "judge", "mediator")[:STAFF_CLIENTS]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SECONDS + 60)
        elapsed = time.monotonic() - began
        server_log = server.log_tail()
    cuts = statistics.quantiles(tally.latencies, n=100)
    print(
        f"\nload: {len(tally.latencies)} requests in {elapsed:.0f} s = "
        f"{len(tally.latencies) / elapsed:.0f} req/s, p50 {cuts[49] * 1000:.1f} ms, "
        f"p99 {cuts[98] * 1000:.1f} ms, statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert not tally.errors, f"{tally.errors[:20]}\n--- server log ---\n{server_log}"
    assert tally.statuses.get(200, 0) + tally.statuses.get(201, 0) > 0.95 * len(tally.latencies)
