"""Device enrolment by CSR: certificates chained to the published root, revocation, CRL."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from court.devices.models import Device


def _csr(key, name: str = "Someone Else") -> str:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_enrolment_issues_a_certificate_that_openssl_verifies_against_the_published_root(
    client: FlaskClient, make_litigant, tmp_path: Path
) -> None:
    litigant = make_litigant(verified=True, enrolled=False, name="刘小明")
    device = litigant.call(
        "POST", "/devices", {"csr": litigant.make_csr("Mallory Admin"), "label": "iPhone"}
    )
    root = client.get("/pki/court-root.pem")
    assert root.status_code == 200
    (tmp_path / "root.pem").write_bytes(root.data)
    (tmp_path / "ca.pem").write_text(device["chain_pem"][0])
    (tmp_path / "device.pem").write_text(device["certificate_pem"])
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            tmp_path / "root.pem",
            "-untrusted",
            tmp_path / "ca.pem",
            tmp_path / "device.pem",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cert = x509.load_pem_x509_certificate(device["certificate_pem"].encode())
    # The requested subject is ignored: the certificate names the verified person.
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "刘小明"
    usage = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert not usage.key_cert_sign
    assert cert.public_key().public_numbers() == litigant.key.public_key().public_numbers()
    assert device["serial"] == f"{cert.serial_number:x}"


def _bad_csr_cases() -> list[tuple[str, str]]:
    p256 = ec.generate_private_key(ec.SECP256R1())
    good = _csr(p256)
    der = x509.load_pem_x509_csr(good.encode()).public_bytes(serialization.Encoding.DER)
    tampered = bytearray(der)
    tampered[-10] ^= 0x01  # inside the signature
    return [
        ("garbage", "csr_malformed"),
        (base64.b64encode(b"0" * 64).decode(), "csr_malformed"),
        (
            _csr(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "csr_unsupported_key",
        ),
        (_csr(ec.generate_private_key(ec.SECP384R1())), "csr_unsupported_key"),
        (base64.b64encode(bytes(tampered)).decode(), "csr_bad_signature"),
    ]


@pytest.mark.parametrize(("csr", "code"), _bad_csr_cases())
def test_bad_csrs_are_refused_and_nothing_is_stored(
    make_litigant, session: Session, csr: str, code: str
) -> None:
    litigant = make_litigant(verified=True, enrolled=False)
    body = {"csr": csr if len(csr) >= 32 else csr * 8, "label": "phone"}
    reply = litigant.call("POST", "/devices", body, expect=422)
    assert reply["error"]["code"] == code
    assert session.exec(select(func.count()).select_from(Device)).one() == 0


def test_an_unverified_person_cannot_enrol(make_litigant, session: Session) -> None:
    litigant = make_litigant(verified=False)
    reply = litigant.call("POST", "/devices", {"csr": litigant.make_csr()}, expect=403)
    assert reply["error"]["code"] == "identity_required"
    assert session.exec(select(func.count()).select_from(Device)).one() == 0


def test_one_key_cannot_be_enrolled_twice(make_litigant) -> None:
    litigant = make_litigant(verified=True, enrolled=True)
    reply = litigant.call("POST", "/devices", {"csr": litigant.make_csr()}, expect=409)
    assert reply["error"]["code"] == "key_already_enrolled"


def test_a_revoked_certificate_appears_on_the_next_crl(client: FlaskClient, make_litigant) -> None:
    litigant = make_litigant()
    serial = int(litigant.call("GET", "/devices")["items"][0]["serial"], 16)
    before = x509.load_der_x509_crl(client.get("/pki/event-ca.crl").data)
    assert before.get_revoked_certificate_by_serial_number(serial) is None
    revoked = litigant.call(
        "POST", f"/devices/{litigant.device_id}/revoke", {"reason": "phone lost"}
    )
    assert revoked["state"] == "revoked"
    crl = x509.load_der_x509_crl(client.get("/pki/event-ca.crl").data)
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    event_ca = x509.load_pem_x509_certificate(client.get("/pki/event-ca.pem").data)
    assert crl.is_signature_valid(event_ca.public_key())
    # Revoking twice is an illegal move, not a silent success.
    again = litigant.call("POST", f"/devices/{litigant.device_id}/revoke", {}, expect=409)
    assert again["error"]["code"] == "invalid_transition"


def test_another_persons_device_cannot_be_revoked_or_seen(make_litigant) -> None:
    owner = make_litigant()
    other = make_litigant()
    reply = other.call("POST", f"/devices/{owner.device_id}/revoke", {}, expect=404)
    assert reply["error"]["code"] == "not_found"
    assert [d["id"] for d in other.call("GET", "/devices")["items"]] == [other.device_id]
    assert owner.call("GET", "/devices")["items"][0]["state"] == "active"
