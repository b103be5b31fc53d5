"""Mediation directory search over 10 000 mediators with filters, against a bare indexed
query on the same database (the #5 benchmark)."""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import text
from sqlmodel import select

from bench.harness import temp_instance
from court import create_app
from court.accounts.models import Court
from court.audit import Actor
from court.cli import initialise
from court.db import get_engine, unit_of_work
from court.mediation import directory
from court.mediation.models import MediatorType

MEDIATORS = 10_000
QUERIES = 400
AREAS = ["simple_civil_commercial", "personal_status", "P03", "P04", "P06", "P09"]
LANGUAGES = ["普通话", "宁波话", "English", "上海话"]


def run() -> None:
    app = create_app({"instance_path": str(temp_instance())})
    engine = get_engine(app)
    with app.app_context():
        initialise(app)
    rng = random.Random(5)
    types = list(MediatorType)
    with unit_of_work(engine) as s:
        court_id = s.exec(select(Court)).one().id
        for i in range(MEDIATORS):
            directory.add_mediator(
                s,
                Actor.system("bench"),
                name=f"调解员{i:05d}",
                type=rng.choice(types),
                organisation="调解中心",
                court_id=court_id,
                areas=rng.sample(AREAS, 2),
                languages=rng.sample(LANGUAGES, 2),
                charges_fee=rng.random() < 0.3,
                expertise="邻里纠纷",
            )
    filtered: list[float] = []
    bare: list[float] = []
    with unit_of_work(engine) as s:
        for _ in range(QUERIES):
            query = directory.DirectoryQuery(
                type=rng.choice(types),
                area=rng.choice(AREAS),
                court_id=court_id,
                charges_fee=False,
                language="宁波话",
                limit=20,
            )
            started = time.perf_counter()
            directory.search(s, query)
            filtered.append(time.perf_counter() - started)
            started = time.perf_counter()
            s.execute(
                text(
                    "SELECT id, name FROM mediator WHERE type = :t AND active ORDER BY name LIMIT 20"
                ),
                {"t": query.type.value if query.type else ""},
            ).all()
            bare.append(time.perf_counter() - started)
    f50, f99 = _ms(filtered)
    b50, b99 = _ms(bare)
    print(
        f"P7  mediator directory search, {MEDIATORS:,} mediators, 5 filters + count, {QUERIES} queries"
    )
    print(f"    bare indexed query (type, first page)   p50 {b50:6.2f} ms   p99 {b99:6.2f} ms")
    print(f"    directory search with filters + total   p50 {f50:6.2f} ms   p99 {f99:6.2f} ms")
    print(f"    ratio p50: {f50 / b50:.1f}x")
    engine.dispose()


def _ms(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000
