"""Real-name identity through the API (R4)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlmodel import Session, func, select

from court.identity.models import Person
from tests.conftest import valid_resident_id


def test_a_litigant_verifies_identity(make_litigant) -> None:
    litigant = make_litigant(verified=False)
    number = valid_resident_id("33020319900307555")
    result = litigant.verify_identity("王小红", number)
    assert result["verified"] is True
    assert result["id_masked"] == number[:3] + "*" * 11 + number[-4:]
    assert result["method"] == "development:format-check-only"
    assert litigant.call("GET", "/identity")["name"] == "王小红"
    assert litigant.call("GET", "/me")["display_name"] == "王小红"


def test_a_wrong_check_character_is_refused_and_nothing_is_stored(
    make_litigant, session: Session
) -> None:
    litigant = make_litigant(verified=False)
    good = valid_resident_id("33020319900307555")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    reply = litigant.call(
        "POST", "/identity", {"kind": "natural", "name": "王小红", "id_number": bad}, expect=422
    )
    assert reply["error"]["code"] == "id_number_invalid"
    assert reply["error"]["details"]["reason"] == "check_character"
    assert litigant.call("GET", "/identity")["verified"] is False
    assert session.exec(select(func.count()).select_from(Person)).one() == 0


def test_an_impossible_birth_date_is_refused(make_litigant) -> None:
    litigant = make_litigant(verified=False)
    number = valid_resident_id("33020319900230555")  # 30 February
    reply = litigant.call(
        "POST", "/identity", {"kind": "natural", "name": "王小红", "id_number": number}, expect=422
    )
    assert reply["error"]["details"]["reason"] == "birth_date"


def test_an_organisation_verifies_with_its_credit_code(make_litigant) -> None:
    litigant = make_litigant(verified=False)
    result = litigant.verify_identity("某某商贸有限公司", "91350100M000100Y43", kind="organisation")
    assert result["kind"] == "organisation"


def test_one_identity_cannot_be_bound_to_two_accounts(make_litigant) -> None:
    number = valid_resident_id("33020319900307555")
    make_litigant(verified=False).verify_identity("王小红", number)
    second = make_litigant(verified=False)
    reply = second.call(
        "POST", "/identity", {"kind": "natural", "name": "王小红", "id_number": number}, expect=409
    )
    assert reply["error"]["code"] == "identity_in_use"


def test_verifying_twice_is_a_conflict(make_litigant) -> None:
    litigant = make_litigant(verified=True, enrolled=False)
    reply = litigant.call(
        "POST",
        "/identity",
        {"kind": "natural", "name": "王小红", "id_number": valid_resident_id("33020319900307556")},
        expect=409,
    )
    assert reply["error"]["code"] == "identity_already_verified"


def test_the_id_number_is_not_readable_from_a_database_dump(
    app: Flask, make_litigant, session: Session
) -> None:
    number = valid_resident_id("33020319900307555")
    make_litigant(verified=False).verify_identity("王小红", number)
    person = session.exec(select(Person)).one()
    row_text = " ".join(str(v) for v in person.model_dump().values())
    assert number not in row_text
    assert number[6:14] not in row_text
    url = app.extensions["court.settings"].sqlalchemy_url
    if url.startswith("sqlite:///"):
        session.close()
        raw = b"".join(p.read_bytes() for p in Path(url[10:]).parent.glob("court.sqlite3*"))
        assert number.encode() not in raw
    # ... yet the court can still read it with the data key.
    protector = app.extensions["court.id_protector"]
    assert protector.unseal(person.id_type, person.id_sealed) == number
