"""P5: evidence-log append against a plain INSERT of the same row; proofs at 1 M leaves."""

from __future__ import annotations

import hashlib
import random
import statistics
import time

from sqlalchemy import text

from bench.harness import temp_instance
from court import create_app
from court.cli import initialise
from court.db import get_engine, unit_of_work
from signing.evidence import merkle
from signing.evidence.models import node_key
from signing.evidence.store import EvidenceLog

APPENDS = 1500
BATCH = 100
BIG = 1_000_000
PROOFS = 2000


def _append_vs_insert(app_engine, log: EvidenceLog) -> tuple[list[float], list[float]]:
    with app_engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_plain (idx BIGINT PRIMARY KEY, leaf_hash BLOB NOT NULL, "
                "record TEXT NOT NULL, event VARCHAR NOT NULL, appended_us BIGINT NOT NULL)"
            )
        )
    appends: list[float] = []
    inserts: list[float] = []
    n = 0
    for _ in range(APPENDS // BATCH):  # interleaved batches: noise hits both alike
        for _ in range(BATCH):
            record = {
                "submission": f"s{n}",
                "manifest_sha256": hashlib.sha256(str(n).encode()).hexdigest(),
            }
            started = time.perf_counter()
            with unit_of_work(app_engine) as s:
                log.append(s, "bench.event", record)
            appends.append(time.perf_counter() - started)
            body = repr(record).encode()
            started = time.perf_counter()
            with unit_of_work(app_engine) as s:
                s.execute(
                    text("INSERT INTO bench_plain VALUES (:i, :h, :r, :e, :t)"),
                    {
                        "i": n,
                        "h": merkle.leaf_hash(body),
                        "r": body.decode(),
                        "e": "bench.event",
                        "t": time.time_ns() // 1000,
                    },
                )
            inserts.append(time.perf_counter() - started)
            n += 1
    return appends, inserts


def _build_big_tree(engine, size: int) -> None:
    """Write a tree of ``size`` leaves straight into the tables (as appends would)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM log_state"))
    leaves = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(size)]
    with engine.begin() as conn:
        # A throwaway bench database: lift the append-only guard to start from empty.
        for table in ("log_leaf", "log_node", "log_checkpoint"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        conn.execute(text("DELETE FROM log_leaf"))
        conn.execute(text("DELETE FROM log_node"))
        conn.exec_driver_sql(
            "INSERT INTO log_leaf (\"index\", leaf_hash, record, event, appended_us) VALUES (?, ?, '{}', 'bench', 0)",
            [(i, h) for i, h in enumerate(leaves)],
        )
        level, row = 0, leaves
        frontier: list[tuple[int, bytes]] = []
        while len(row) > 1:
            if len(row) % 2:
                frontier.append((level, row[-1]))
            parents = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
            level += 1
            conn.exec_driver_sql(
                "INSERT INTO log_node (key, hash) VALUES (?, ?)",
                [(node_key(level, i), h) for i, h in enumerate(parents)],
            )
            row = parents
        frontier.append((level, row[0]))
        frontier.sort(key=lambda e: -e[0])
        encoded = b"".join(bytes([lv]) + h for lv, h in frontier)
        conn.execute(
            text("INSERT INTO log_state (id, size, frontier) VALUES (1, :n, :f)"),
            {"n": size, "f": encoded},
        )


def _ms(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def run() -> None:
    app = create_app({"instance_path": str(temp_instance())})
    with app.app_context():
        initialise(app)
    engine = get_engine(app)
    log: EvidenceLog = app.extensions["court.evidence_log"]
    appends, inserts = _append_vs_insert(engine, log)
    a50, a99 = _ms(appends)
    i50, i99 = _ms(inserts)
    print(
        f"P5  evidence-log append vs plain INSERT of the same row, SQLite (WAL, synchronous=FULL), "
        f"{APPENDS} each, one transaction each, interleaved"
    )
    print(
        f"    plain INSERT                p50 {i50:7.3f} ms   p99 {i99:7.3f} ms   mean {statistics.mean(inserts) * 1000:7.3f} ms"
    )
    print(
        f"    log append                  p50 {a50:7.3f} ms   p99 {a99:7.3f} ms   mean {statistics.mean(appends) * 1000:7.3f} ms"
    )
    print(
        f"    ratio append/insert (mean): {statistics.mean(appends) / statistics.mean(inserts):.2f}  (goal <= 1.2)"
    )

    started = time.perf_counter()
    _build_big_tree(engine, BIG)
    print(f"    built a {BIG:,}-leaf tree in {time.perf_counter() - started:.1f} s")
    rng = random.Random(7)
    lookups: list[float] = []
    inclusion: list[float] = []
    consistency: list[float] = []
    with unit_of_work(engine) as s:
        root = log.root(s, BIG)
        for _ in range(PROOFS):
            index = rng.randrange(BIG)
            started = time.perf_counter()
            s.execute(text('SELECT leaf_hash FROM log_leaf WHERE "index" = :i'), {"i": index}).one()
            lookups.append(time.perf_counter() - started)
            started = time.perf_counter()
            proof = log.inclusion_proof(s, index, BIG)
            inclusion.append(time.perf_counter() - started)
            leaf = merkle.leaf_hash(index.to_bytes(8, "big"))
            merkle.verify_inclusion(leaf, index, BIG, proof, root)
            first = rng.randrange(1, BIG)
            started = time.perf_counter()
            log.consistency_proof(s, first, BIG)
            consistency.append(time.perf_counter() - started)
    l50, l99 = _ms(lookups)
    p50, p99 = _ms(inclusion)
    c50, c99 = _ms(consistency)
    print(f"    at {BIG:,} leaves ({PROOFS} random proofs, each verified):")
    print(f"    point lookup of one leaf    p50 {l50:7.3f} ms   p99 {l99:7.3f} ms")
    print(
        f"    inclusion proof             p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   ratio to lookup {p50 / l50:.1f}x  (goal < 1 ms)"
    )
    print(
        f"    consistency proof           p50 {c50:7.3f} ms   p99 {c99:7.3f} ms   ratio to lookup {c50 / l50:.1f}x  (goal < 1 ms)"
    )
    engine.dispose()
