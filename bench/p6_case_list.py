"""P6: an authenticated litigant's GET /api/v1/cases against a bare Flask endpoint."""

from __future__ import annotations

from sqlmodel import select

from bench.harness import LoadResult, gunicorn, load, temp_instance
from court import create_app
from court.accounts.models import Account
from court.accounts.services import issue_tokens
from court.cli import initialise
from court.db import get_engine, unit_of_work
from court.demo import DEMO_PHONE, seed_demo
from court.instance import instance_secrets

CLIENTS = 8
SECONDS = 5.0
ROUNDS = 3


def _prepare(instance: str) -> str:
    app = create_app({"instance_path": instance})
    with app.app_context():
        initialise(app)
        settings = app.extensions["court.settings"]
        with unit_of_work(get_engine()) as session:
            seed_demo(session, settings, instance_secrets())
            litigant = session.exec(select(Account).where(Account.phone == DEMO_PHONE)).one()
            pair = issue_tokens(session, settings, litigant, address="127.0.0.1")
    get_engine(app).dispose()
    return pair.access_token


def run() -> None:
    instance = str(temp_instance())
    token = _prepare(instance)
    env = {"MICROCOURT_INSTANCE_PATH": instance}
    bare: list[LoadResult] = []
    cases: list[LoadResult] = []
    with gunicorn("bench.p6_app:app", env) as server:
        port = server.port
        auth = {"Authorization": f"Bearer {token}"}
        load(port, "/api/v1/cases", auth, clients=2, seconds=1.0)  # warm up both paths
        load(port, "/bench/bare", {}, clients=2, seconds=1.0)
        for _ in range(ROUNDS):  # interleave so that machine noise hits both alike
            bare.append(load(port, "/bench/bare", {}, clients=CLIENTS, seconds=SECONDS))
            cases.append(load(port, "/api/v1/cases", auth, clients=CLIENTS, seconds=SECONDS))
    total_bare = _merge(bare)
    total_cases = _merge(cases)
    print(
        "P6  case list (authenticated, 2 cases) vs bare Flask endpoint, gunicorn 2x4, "
        f"{CLIENTS} keep-alive clients, {ROUNDS}x{SECONDS:.0f} s each, interleaved"
    )
    print("   ", total_bare.line("bare endpoint"))
    print("   ", total_cases.line("GET /api/v1/cases"))
    print(f"    ratio cases/bare throughput: {total_cases.rps / total_bare.rps:.2f}")
    if total_bare.errors or total_cases.errors:
        raise SystemExit("P6: some requests failed")


def _merge(results: list[LoadResult]) -> LoadResult:
    total = results[0]
    for result in results[1:]:
        total = total + result
    return total
