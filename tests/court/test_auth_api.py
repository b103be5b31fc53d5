"""Phone sign-in: codes, tokens, refresh, revocation, and the bad inputs around them."""

from __future__ import annotations

import datetime as dt

import time_machine
from flask.testing import FlaskClient
from sqlmodel import func, select

from court.accounts.models import Account, OtpCode
from litigant_client import LitigantClient, WsgiTransport

PHONE = "13912345678"


def _sign_in(client: FlaskClient, inbox, phone: str = PHONE) -> LitigantClient:
    litigant = LitigantClient(WsgiTransport(client))
    litigant.ask_for_code(phone)
    litigant.sign_in(phone, inbox.latest(phone))
    return litigant


def test_a_phone_and_its_code_give_working_tokens(client: FlaskClient, inbox) -> None:
    litigant = _sign_in(client, inbox)
    me = litigant.call("GET", "/me")
    assert me["role"] == "litigant"
    assert me["phone"] == "139****5678"
    assert me["identity_verified"] is False
    # 256-bit random tokens: 43 base64url characters after the prefix.
    assert len(litigant.access_token.split("_", 1)[1]) == 43


def test_the_code_is_stored_only_as_a_keyed_hash(client: FlaskClient, inbox, session) -> None:
    client.post("/api/v1/auth/otp", json={"phone": PHONE})
    code = inbox.latest(PHONE)
    stored = session.exec(select(OtpCode)).one()
    assert code not in stored.code_hmac
    assert len(stored.code_hmac) == 64


def test_a_code_works_once(client: FlaskClient, inbox) -> None:
    client.post("/api/v1/auth/otp", json={"phone": PHONE})
    code = inbox.latest(PHONE)
    assert client.post("/api/v1/auth/token", json={"phone": PHONE, "code": code}).status_code == 201
    again = client.post("/api/v1/auth/token", json={"phone": PHONE, "code": code})
    assert again.status_code == 401
    assert again.json["error"]["code"] == "otp_invalid"


def test_guessing_past_the_limit_burns_the_code(client: FlaskClient, inbox, session) -> None:
    client.post("/api/v1/auth/otp", json={"phone": PHONE})
    code = inbox.latest(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    codes = [
        client.post("/api/v1/auth/token", json={"phone": PHONE, "code": wrong}).json["error"][
            "code"
        ]
        for _ in range(5)
    ]
    assert codes == ["otp_invalid"] * 4 + ["otp_attempts_exhausted"]
    # Even the right code no longer works, and no account was created.
    late = client.post("/api/v1/auth/token", json={"phone": PHONE, "code": code})
    assert late.json["error"]["code"] == "otp_attempts_exhausted"
    assert session.exec(select(func.count()).select_from(Account)).one() == 0


def test_an_expired_code_is_refused(client: FlaskClient, inbox) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        client.post("/api/v1/auth/otp", json={"phone": PHONE})
        code = inbox.latest(PHONE)
        t.shift(dt.timedelta(minutes=6))
        reply = client.post("/api/v1/auth/token", json={"phone": PHONE, "code": code})
    assert reply.status_code == 401
    assert reply.json["error"]["code"] == "otp_invalid"


def test_codes_are_rate_limited_per_phone(client: FlaskClient) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        assert client.post("/api/v1/auth/otp", json={"phone": PHONE}).status_code == 202
        too_soon = client.post("/api/v1/auth/otp", json={"phone": PHONE})
        assert too_soon.status_code == 429
        assert int(too_soon.headers["Retry-After"]) == 60
        for _ in range(4):
            t.shift(dt.timedelta(seconds=61))
            assert client.post("/api/v1/auth/otp", json={"phone": PHONE}).status_code == 202
        t.shift(dt.timedelta(seconds=61))
        sixth = client.post("/api/v1/auth/otp", json={"phone": PHONE})
    assert sixth.status_code == 429
    assert sixth.json["error"]["details"]["limit"] == "per_phone_hour"


def test_codes_are_rate_limited_per_address(client: FlaskClient) -> None:
    statuses = [
        client.post(
            "/api/v1/auth/otp",
            json={"phone": f"137{i:08d}"},
            environ_base={"REMOTE_ADDR": "10.9.8.7"},
        ).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [202] * 30
    assert statuses[30] == 429
    other = client.post(
        "/api/v1/auth/otp", json={"phone": "13600000000"}, environ_base={"REMOTE_ADDR": "10.9.8.8"}
    )
    assert other.status_code == 202


def test_an_expired_token_is_refused(client: FlaskClient, inbox) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        litigant = _sign_in(client, inbox)
        t.shift(dt.timedelta(hours=2, seconds=1))
        reply = client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {litigant.access_token}"}
        )
    assert reply.status_code == 401
    assert reply.json["error"]["code"] == "token_expired"


def test_logout_revokes_the_token(client: FlaskClient, inbox) -> None:
    litigant = _sign_in(client, inbox)
    token = litigant.access_token
    litigant.call("POST", "/auth/logout")
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401
    assert reply.json["error"]["code"] == "token_revoked"


def test_an_unknown_token_is_refused(client: FlaskClient) -> None:
    reply = client.get("/api/v1/me", headers={"Authorization": "Bearer mca_not-a-real-token"})
    assert reply.status_code == 401
    assert reply.json["error"]["code"] == "token_invalid"
    assert "WWW-Authenticate" in reply.headers


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_sign_in(
    client: FlaskClient, inbox
) -> None:
    litigant = _sign_in(client, inbox)
    stolen_refresh = litigant.refresh_token
    old_access = litigant.access_token
    litigant.refresh()
    assert litigant.access_token != old_access
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {old_access}"}).status_code
        == 401
    )
    assert litigant.call("GET", "/me")["role"] == "litigant"
    # The thief replays the spent refresh token: the whole sign-in is revoked.
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": stolen_refresh})
    assert replay.status_code == 401
    assert replay.json["error"]["code"] == "refresh_token_reused"
    after = client.get("/api/v1/me", headers={"Authorization": f"Bearer {litigant.access_token}"})
    assert after.json["error"]["code"] == "token_revoked"


def test_unknown_fields_and_wrong_types_are_refused(client: FlaskClient, session) -> None:
    extra = client.post("/api/v1/auth/otp", json={"phone": PHONE, "admin": True})
    assert extra.status_code == 422
    assert extra.json["error"]["details"]["errors"][0]["field"] == "admin"
    wrong_type = client.post("/api/v1/auth/otp", json={"phone": 13912345678})
    assert wrong_type.status_code == 422
    assert wrong_type.json["error"]["code"] == "validation_failed"
    assert session.exec(select(func.count()).select_from(OtpCode)).one() == 0


def test_malformed_json_and_other_media_types_are_refused(client: FlaskClient) -> None:
    bad = client.post("/api/v1/auth/otp", data="{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "bad_request"
    form = client.post("/api/v1/auth/otp", data={"phone": PHONE})
    assert form.status_code == 415


def test_an_invalid_phone_is_refused_in_chinese_or_english(client: FlaskClient) -> None:
    zh = client.post("/api/v1/auth/otp", json={"phone": "12345678901"})
    assert zh.status_code == 400
    assert zh.json["error"]["message"] == "手机号码格式不正确。"
    en = client.post(
        "/api/v1/auth/otp", json={"phone": "12345678901"}, headers={"Accept-Language": "en-GB,en"}
    )
    assert en.json["error"]["message"].startswith("The phone number")


def test_unknown_api_paths_answer_json_not_html(client: FlaskClient) -> None:
    reply = client.get("/api/v1/no-such-thing")
    assert reply.status_code == 404
    assert reply.json["error"]["code"] == "not_found"
    assert client.delete("/api/v1/me").status_code == 405


def test_an_oversized_body_is_refused_with_the_json_error_shape(client: FlaskClient) -> None:
    reply = client.post(
        "/api/v1/auth/otp",
        data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert reply.status_code == 413
    assert reply.json["error"]["code"] == "payload_too_large"
