"""Idempotency-Key on state-changing calls: one effect, the same answer, 409 on misuse."""

from __future__ import annotations

import threading

from flask import Flask
from sqlmodel import Session, func, select

from court.devices.models import Device


def test_a_retry_with_the_same_key_replays_the_response_and_enrols_once(
    make_litigant, session: Session
) -> None:
    litigant = make_litigant(enrolled=False)
    body = {"csr": litigant.make_csr(), "label": "phone"}
    first = litigant.call("POST", "/devices", body, idempotency_key="enrol-1")
    second = litigant.call("POST", "/devices", body, idempotency_key="enrol-1")
    assert first == second
    assert session.exec(select(func.count()).select_from(Device)).one() == 1


def test_the_same_key_with_another_body_is_a_conflict(make_litigant) -> None:
    litigant = make_litigant(enrolled=False)
    litigant.call(
        "POST", "/devices", {"csr": litigant.make_csr(), "label": "a"}, idempotency_key="k"
    )
    reply = litigant.call(
        "POST",
        "/devices",
        {"csr": litigant.make_csr(), "label": "b"},
        idempotency_key="k",
        expect=409,
    )
    assert reply["error"]["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_account(make_litigant, session: Session) -> None:
    alice, bob = make_litigant(enrolled=False), make_litigant(enrolled=False)
    alice.call("POST", "/devices", {"csr": alice.make_csr()}, idempotency_key="same")
    bob.call("POST", "/devices", {"csr": bob.make_csr()}, idempotency_key="same")
    assert session.exec(select(func.count()).select_from(Device)).one() == 2


def test_a_failed_call_is_not_replayed(make_litigant) -> None:
    litigant = make_litigant(enrolled=False)
    failed = litigant.call(
        "POST", "/devices", {"csr": "x" * 40}, idempotency_key="retry-me", expect=422
    )
    assert failed["error"]["code"] == "csr_malformed"
    # The same key may carry the corrected request.
    litigant.call("POST", "/devices", {"csr": litigant.make_csr()}, idempotency_key="retry-me")


def test_two_concurrent_requests_with_one_key_have_one_effect(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant(enrolled=False)
    body = {"csr": litigant.make_csr(), "label": "phone"}
    headers = {"Authorization": f"Bearer {litigant.access_token}", "Idempotency-Key": "race"}
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict]] = []

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        reply = client.post("/api/v1/devices", json=body, headers=headers)
        results.append((reply.status_code, reply.json))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [201] * 4
    assert len({payload["id"] for _, payload in results}) == 1
    assert session.exec(select(func.count()).select_from(Device)).one() == 1


def test_a_replayed_page_upload_creation_still_says_where_to_upload(make_litigant) -> None:
    """Found by the crash harness: a replayed tus creation had lost its Location header."""
    from litigant_client import Filing
    from tests.factories import document_photo

    litigant = make_litigant()
    filing = Filing(litigant)
    draft = filing.open("complaint", details={"claims": ["归还借款"]})
    photo = document_photo(width=300, height=400)
    import base64
    import hashlib

    headers = {
        "Authorization": f"Bearer {litigant.access_token}",
        "Tus-Resumable": "1.0.0",
        "Upload-Length": str(len(photo)),
        "Upload-Metadata": "sha256 "
        + base64.b64encode(hashlib.sha256(photo).hexdigest().encode()).decode(),
        "Idempotency-Key": "page-1",
    }
    path = f"/api/v1/submissions/{draft['id']}/pages"
    first = litigant.transport.send("POST", path, None, headers)
    again = litigant.transport.send("POST", path, None, headers)
    assert first.status == again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Tus-Resumable"] == "1.0.0"
