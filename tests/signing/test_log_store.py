"""The database-backed evidence log: gap-free under concurrency, atomic with the business
write, proofs equal to the reference ones, checkpoints consistent with each other."""

from __future__ import annotations

import itertools
import threading

import pytest
from flask import Flask
from sqlmodel import Session, select

from court.db import get_engine, open_session, unit_of_work
from signing.evidence import merkle
from signing.evidence.models import LogLeaf
from signing.evidence.note import open_checkpoint, verifier_key
from signing.evidence.receipt import verify_receipt
from signing.evidence.store import EvidenceLog


@pytest.fixture
def log(app: Flask) -> EvidenceLog:
    found: EvidenceLog = app.extensions["court.evidence_log"]
    return found


def _vkey(app: Flask, log: EvidenceLog) -> str:
    return verifier_key(log.origin, app.extensions["court.pki"].log_private_key().public_key())


def _leaf_hashes(session: Session) -> list[bytes]:
    return [leaf.leaf_hash for leaf in session.exec(select(LogLeaf).order_by(LogLeaf.index))]


def test_proofs_from_the_store_equal_the_reference_and_verify(app: Flask, log: EvidenceLog) -> None:
    with unit_of_work(get_engine(app)) as s:
        for i in range(37):
            log.append(s, "test.event", {"n": i})
    s = open_session(get_engine(app), write=False)
    leaves = _leaf_hashes(s)
    for size in (1, 2, 7, 8, 16, 31, 37):
        root = merkle.root_from_leaf_hashes(leaves[:size])
        assert log.root(s, size) == root
        for index in range(size):
            proof = log.inclusion_proof(s, index, size)
            assert proof == merkle.inclusion_proof(leaves[:size], index)
            merkle.verify_inclusion(leaves[index], index, size, proof, root)
        for first in range(1, size + 1):
            proof = log.consistency_proof(s, first, size)
            merkle.verify_consistency(
                first, size, merkle.root_from_leaf_hashes(leaves[:first]), root, proof
            )
    s.close()


def test_an_append_rolled_back_with_its_business_write_leaves_no_trace(
    app: Flask, log: EvidenceLog
) -> None:
    with unit_of_work(get_engine(app)) as s:
        log.append(s, "kept", {})

    def failing_business_write() -> None:
        with unit_of_work(get_engine(app)) as s:
            log.append(s, "lost", {})
            raise RuntimeError("the business write failed")

    with pytest.raises(RuntimeError):
        failing_business_write()
    with unit_of_work(get_engine(app)) as s:
        assert log.append(s, "next", {}).index == 1
        assert [leaf.event for leaf in s.exec(select(LogLeaf).order_by(LogLeaf.index))] == [
            "kept",
            "next",
        ]


def test_concurrent_appends_get_consecutive_indices(app: Flask, log: EvidenceLog) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with unit_of_work(get_engine(app)) as s:
                    log.append(s, "concurrent", {"writer": w, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    s = open_session(get_engine(app), write=False)
    indices = list(s.exec(select(LogLeaf.index).order_by(LogLeaf.index)))
    assert indices == list(range(40))
    assert log.root(s, 40) == merkle.root_from_leaf_hashes(_leaf_hashes(s))
    s.close()


def test_checkpoints_are_signed_and_each_is_consistent_with_the_last(
    app: Flask, log: EvidenceLog
) -> None:
    vkey = _vkey(app, log)
    notes = []
    for batch in range(4):
        with unit_of_work(get_engine(app)) as s:
            for i in range(batch * 3 + 1):
                log.append(s, "batch", {"b": batch, "i": i})
            notes.append(log.checkpoint(s).note)
    opened = [open_checkpoint(note, vkey) for note in notes]
    s = open_session(get_engine(app), write=False)
    for older, newer in itertools.pairwise(opened):
        proof = log.consistency_proof(s, older.tree_size, newer.tree_size)
        merkle.verify_consistency(
            older.tree_size, newer.tree_size, older.root_hash, newer.root_hash, proof
        )
    receipt = log.receipt(s, 3)
    assert verify_receipt(receipt, vkey).leaf_index == 3
    s.close()


def test_log_rows_cannot_be_rewritten(app: Flask, log: EvidenceLog) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    with unit_of_work(get_engine(app)) as s:
        log.append(s, "fixed", {})
    for statement in ("UPDATE log_leaf SET event = 'forged'", "DELETE FROM log_leaf"):
        with pytest.raises(DatabaseError, match="append-only"), unit_of_work(get_engine(app)) as s:
            s.exec(text(statement))


def test_the_public_api_serves_checkpoints_and_proofs(app: Flask, client, log: EvidenceLog) -> None:
    import base64

    with unit_of_work(get_engine(app)) as s:
        for i in range(5):
            log.append(s, "api", {"i": i})
    checkpoint = client.get("/api/v1/log/checkpoint").json
    assert checkpoint["size"] == 5
    vkey = client.get("/pki/log-checkpoint.vkey").get_data(as_text=True).strip()
    assert vkey == checkpoint["log_key"]
    opened = open_checkpoint(checkpoint["note"], vkey)
    proof = client.get("/api/v1/log/proofs/inclusion?index=2&size=5").json
    merkle.verify_inclusion(
        base64.b64decode(proof["leaf_hash"]),
        2,
        5,
        [base64.b64decode(p) for p in proof["proof"]],
        opened.root_hash,
    )
    assert client.get("/api/v1/log/proofs/inclusion?index=9&size=5").status_code == 422
    assert client.get("/api/v1/log/proofs/inclusion?index=1&size=99").status_code == 422
    consistency = client.get("/api/v1/log/proofs/consistency?first=3&second=5").json
    s = open_session(get_engine(app), write=False)
    merkle.verify_consistency(
        3, 5, log.root(s, 3), opened.root_hash, [base64.b64decode(p) for p in consistency["proof"]]
    )
    s.close()


def test_an_empty_log_has_a_signed_checkpoint_of_the_empty_tree(client) -> None:
    """Found by fuzzing: the checkpoint of a log nobody has appended to was a 500."""
    import base64
    import hashlib

    from signing.evidence.note import open_checkpoint as open_note

    reply = client.get("/api/v1/log/checkpoint")
    assert reply.status_code == 200
    checkpoint = reply.json
    assert checkpoint["size"] == 0
    assert base64.b64decode(checkpoint["root_hash"]) == hashlib.sha256(b"").digest()
    opened = open_note(checkpoint["note"], checkpoint["log_key"])
    assert opened.tree_size == 0
