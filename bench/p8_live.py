"""P8: live delivery of a mediation message to 50 connected subscribers (server-sent events)
through gunicorn as `make run` serves it, against delivery to a single subscriber in the
same run. Latency is from the moment the POST is sent to the moment each subscriber has
read the event."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import statistics
import threading
import time

from sqlmodel import select

from bench.harness import gunicorn, temp_instance
from court import create_app
from court.accounts.models import Account, AccountState, Court, Role
from court.accounts.services import issue_tokens
from court.cli import initialise
from court.db import get_engine, unit_of_work
from court.mediation.models import Mediation, MediationParty, MediationState
from court.reference.models import CaseCause

SUBSCRIBERS = 50
MESSAGES = 20
GAP_SECONDS = 0.15
#: As `make run` serves: a live stream holds a server thread while it is open.
WORKERS, THREADS = 2, 32


def _prepare(instance: str) -> tuple[str, str, str]:
    app = create_app({"instance_path": instance})
    with app.app_context():
        initialise(app)
        settings = app.extensions["court.settings"]
        with unit_of_work(get_engine()) as session:
            court = session.exec(select(Court)).one()
            cause = session.exec(select(CaseCause).where(CaseCause.name == "民间借贷纠纷")).one()
            now = dt.datetime.now(dt.UTC)
            accounts = [
                Account(
                    role=Role.LITIGANT.value,
                    state=AccountState.ACTIVE.value,
                    display_name=name,
                    phone=phone,
                    created_at=now,
                )
                for name, phone in (("刘小明", "13900000001"), ("孙大伟", "13900000002"))
            ]
            session.add_all(accounts)
            mediation = Mediation(
                court_id=court.id,
                stage="pre_filing",
                state=MediationState.IN_PROGRESS.value,
                cause_id=cause.id or 0,
                summary="基准测试用调解",
                requested_by=accounts[0].id,
                started_on=now.date(),
                due_on=now.date() + dt.timedelta(days=30),
                created_at=now,
            )
            session.add(mediation)
            session.flush()
            for side, account in zip(("applicant", "respondent"), accounts, strict=True):
                session.add(
                    MediationParty(
                        mediation_id=mediation.id,
                        account_id=account.id,
                        side=side,
                        name=account.display_name,
                        phone=account.phone or "",
                        answer="agreed",
                    )
                )
            tokens = [
                issue_tokens(session, settings, a, address="127.0.0.1").access_token
                for a in accounts
            ]
    get_engine(app).dispose()
    return mediation.id, tokens[0], tokens[1]


class Subscriber(threading.Thread):
    """One open event stream; notes when each message body arrives."""

    def __init__(self, port: int, path: str, token: str) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.token = port, path, token
        self.ready = threading.Event()
        self.arrivals: dict[str, float] = {}
        self.done = threading.Event()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def close(self) -> None:
        """Hang up, as a browser tab that is closed does."""
        sock = self.conn.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> None:
        conn = self.conn
        # Start after what exists, so only the benchmark's messages are timed.
        conn.request(
            "GET",
            self.path,
            headers={"Authorization": f"Bearer {self.token}", "Last-Event-ID": "0"},
        )
        response = conn.getresponse()
        try:
            while not self.done.is_set():
                try:
                    line = response.fp.readline()
                except OSError:
                    return
                if not line:
                    return
                text = line.decode().rstrip("\n")
                if text.startswith("retry:"):
                    self.ready.set()
                elif text.startswith("data: "):
                    body = json.loads(text[6:])["body"]
                    self.arrivals.setdefault(body, time.perf_counter())
        finally:
            conn.close()


def _round(port: int, mediation_id: str, reader: str, writer: str, subscribers: int, tag: str):
    events = f"/api/v1/mediations/{mediation_id}/events"
    subs = [Subscriber(port, events, reader) for _ in range(subscribers)]
    for sub in subs:
        sub.start()
    for sub in subs:
        if not sub.ready.wait(30):
            raise SystemExit("P8: a subscriber could not connect")
    time.sleep(0.5)  # every stream is now waiting
    poster = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent: dict[str, float] = {}
    posts: list[float] = []
    for i in range(MESSAGES):
        body = f"{tag}-{i}"
        payload = json.dumps({"body": body})
        sent[body] = time.perf_counter()
        poster.request(
            "POST",
            f"/api/v1/mediations/{mediation_id}/messages",
            body=payload,
            headers={"Authorization": f"Bearer {writer}", "Content-Type": "application/json"},
        )
        reply = poster.getresponse()
        reply.read()
        posts.append(time.perf_counter() - sent[body])
        if reply.status != 201:
            raise SystemExit(f"P8: posting failed with {reply.status}")
        time.sleep(GAP_SECONDS)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(len(s.arrivals) < MESSAGES for s in subs):
        time.sleep(0.05)
    for sub in subs:
        sub.done.set()
        sub.close()
    poster.close()
    latencies = [
        (sub.arrivals[body] - started) * 1000
        for sub in subs
        for body, started in sent.items()
        if body in sub.arrivals
    ]
    missing = subscribers * MESSAGES - len(latencies)
    return latencies, [p * 1000 for p in posts], missing


def _q(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def run() -> None:
    instance = str(temp_instance())
    mediation_id, reader, writer = _prepare(instance)
    env = {"MICROCOURT_INSTANCE_PATH": instance}
    with gunicorn("wsgi:app", env, workers=WORKERS, threads=THREADS) as server:
        _round(server.port, mediation_id, reader, writer, 1, "warm")
        one, posts_one, missing_one = _round(server.port, mediation_id, reader, writer, 1, "one")
        many, posts_many, missing_many = _round(
            server.port, mediation_id, reader, writer, SUBSCRIBERS, "many"
        )
    print(
        f"P8  live message delivery (SSE) to {SUBSCRIBERS} subscribers vs 1, gunicorn "
        f"{WORKERS}x{THREADS}, {MESSAGES} messages {GAP_SECONDS * 1000:.0f} ms apart"
    )
    print(
        f"    1 subscriber:    p50 {_q(one, 50):7.1f} ms   p99 {_q(one, 99):7.1f} ms   "
        f"(POST itself p50 {_q(posts_one, 50):.1f} ms; {missing_one} missed)"
    )
    print(
        f"    {SUBSCRIBERS} subscribers:  p50 {_q(many, 50):7.1f} ms   p99 {_q(many, 99):7.1f} ms"
        f"   max {max(many):.1f} ms   (POST itself p50 {_q(posts_many, 50):.1f} ms; "
        f"{missing_many} missed of {SUBSCRIBERS * MESSAGES})"
    )
    print(f"    ratio p50 {SUBSCRIBERS}/1: {_q(many, 50) / _q(one, 50):.2f}")
    if missing_one or missing_many:
        raise SystemExit("P8: some deliveries never arrived")
