"""Re-verification before joining online sessions (R5)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

from court.identity.errors import ReverificationRequired
from court.identity.models import ReverifyPurpose
from court.identity.services import require_fresh_verification
from litigant_client import LitigantClient

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def _signed_answer(litigant: LitigantClient, purpose: str = "hearing") -> dict:
    challenge = litigant.call("POST", "/identity/challenges", {"purpose": purpose})
    return {
        "challenge_id": challenge["id"],
        "device_id": litigant.device_id,
        "signature": litigant.sign_statement(challenge["statement"]),
    }


def _account_id(litigant: LitigantClient) -> str:
    return litigant.call("GET", "/me")["id"]


def test_a_signed_challenge_makes_the_person_fresh_for_a_few_minutes(
    app: Flask, make_litigant
) -> None:
    with time_machine.travel(T0, tick=False) as t:
        litigant = make_litigant()
        result = litigant.reverify("hearing")
        assert result["fresh_until"] == "2026-11-28T09:05:00Z"
        with app.app_context():
            from court.db import get_engine, open_session

            s = open_session(get_engine(), write=False)
            settings = app.extensions["court.settings"]
            account = _account_id(litigant)
            assert require_fresh_verification(s, settings, account, ReverifyPurpose.HEARING)
            # Fresh for hearings only: another purpose needs its own verification.
            with pytest.raises(ReverificationRequired):
                require_fresh_verification(s, settings, account, ReverifyPurpose.MEDIATION)
            s.rollback()
            t.shift(dt.timedelta(minutes=5, seconds=1))
            with pytest.raises(ReverificationRequired):
                require_fresh_verification(s, settings, account, ReverifyPurpose.HEARING)
            s.close()


def test_a_challenge_is_spent_by_its_first_use(make_litigant) -> None:
    litigant = make_litigant()
    answer = _signed_answer(litigant)
    litigant.call("POST", "/identity/reverifications", answer)
    reply = litigant.call("POST", "/identity/reverifications", answer, expect=422)
    assert reply["error"]["code"] == "challenge_invalid"


def test_an_expired_challenge_is_refused(make_litigant) -> None:
    with time_machine.travel(T0, tick=False) as t:
        litigant = make_litigant()
        answer = _signed_answer(litigant)
        t.shift(dt.timedelta(seconds=121))
        reply = litigant.call("POST", "/identity/reverifications", answer, expect=422)
    assert reply["error"]["code"] == "challenge_invalid"


def test_a_signature_by_another_key_is_refused(make_litigant) -> None:
    litigant = make_litigant()
    challenge = litigant.call("POST", "/identity/challenges", {"purpose": "mediation"})
    enrolled_key = litigant.key
    litigant.key = ec.generate_private_key(ec.SECP256R1())
    forged = litigant.sign_statement(challenge["statement"])
    litigant.key = enrolled_key
    reply = litigant.call(
        "POST",
        "/identity/reverifications",
        {"challenge_id": challenge["id"], "device_id": litigant.device_id, "signature": forged},
        expect=422,
    )
    assert reply["error"]["code"] == "signature_invalid"
    # The challenge was not spent by the failure: a genuine signature still works.
    litigant.call(
        "POST",
        "/identity/reverifications",
        {
            "challenge_id": challenge["id"],
            "device_id": litigant.device_id,
            "signature": litigant.sign_statement(challenge["statement"]),
        },
    )


def test_a_signature_over_another_statement_is_refused(make_litigant) -> None:
    litigant = make_litigant()
    challenge = litigant.call("POST", "/identity/challenges", {"purpose": "hearing"})
    statement = dict(challenge["statement"], purpose="mediation")
    reply = litigant.call(
        "POST",
        "/identity/reverifications",
        {
            "challenge_id": challenge["id"],
            "device_id": litigant.device_id,
            "signature": litigant.sign_statement(statement),
        },
        expect=422,
    )
    assert reply["error"]["code"] == "signature_invalid"


def test_a_revoked_device_cannot_reverify(make_litigant) -> None:
    litigant = make_litigant()
    answer = _signed_answer(litigant)
    litigant.call("POST", f"/devices/{litigant.device_id}/revoke", {"reason": "lost"})
    reply = litigant.call("POST", "/identity/reverifications", answer, expect=422)
    assert reply["error"]["code"] == "certificate_not_usable"


def test_another_persons_challenge_or_device_is_refused(make_litigant) -> None:
    alice, bob = make_litigant(), make_litigant()
    answer = _signed_answer(alice)
    stolen = bob.call("POST", "/identity/reverifications", answer, expect=422)
    assert stolen["error"]["code"] == "challenge_invalid"
    bobs = _signed_answer(bob)
    with_alices_device = dict(bobs, device_id=alice.device_id)
    assert bob.call("POST", "/identity/reverifications", with_alices_device, expect=404)
