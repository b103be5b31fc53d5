"""The court PKI: created once, passphrase-protected, chained, CRLs signed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from signing.errors import KeyStoreError
from signing.keystore import FileKeyStore
from signing.pki import EVENT_CA, ROOT, SEAL, TSA, CourtPKI, RevokedCertificate

PASSPHRASE = b"a test passphrase of some length"


@pytest.fixture
def pki(tmp_path: Path) -> CourtPKI:
    authority = CourtPKI(
        FileKeyStore(tmp_path / "keys", PASSPHRASE),
        tmp_path / "pki",
        court_name="测试法院",
        base_url="http://127.0.0.1:8000",
    )
    authority.init()
    return authority


def test_init_creates_everything_once(pki: CourtPKI, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (tmp_path / "pki").iterdir()}
    keys_before = {p.name: p.read_bytes() for p in (tmp_path / "keys").iterdir()}
    report = pki.init()
    assert report.created == ()
    assert set(report.existing) == {
        "court-root",
        "event-ca",
        "court-seal",
        "court-tsa",
        "log-checkpoint",
    }
    assert {p.name: p.read_bytes() for p in (tmp_path / "pki").iterdir()} == before
    assert {p.name: p.read_bytes() for p in (tmp_path / "keys").iterdir()} == keys_before


def test_private_keys_are_encrypted_and_need_the_passphrase(pki: CourtPKI, tmp_path: Path) -> None:
    pem = (tmp_path / "keys" / "court-root.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert (tmp_path / "keys" / "court-root.key.pem").stat().st_mode & 0o077 == 0
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, None)
    with pytest.raises(KeyStoreError, match="passphrase"):
        FileKeyStore(tmp_path / "keys", b"the wrong passphrase!").load("court-root")


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    store = FileKeyStore(tmp_path, PASSPHRASE)
    store.store("k", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(KeyStoreError, match="already exists"):
        store.store("k", ec.generate_private_key(ec.SECP256R1()))


def test_certificates_chain_to_the_root_with_the_right_uses(pki: CourtPKI) -> None:
    root = pki.certificate(ROOT)
    root.verify_directly_issued_by(root)
    for name in (EVENT_CA, SEAL, TSA):
        pki.certificate(name).verify_directly_issued_by(root)
    event_ca = pki.certificate(EVENT_CA)
    assert event_ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    tsa_eku = pki.certificate(TSA).extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    assert tsa_eku.critical
    assert list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    seal = pki.certificate(SEAL)
    assert not seal.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_crl_lists_the_revoked_and_is_signed_by_its_issuer(pki: CourtPKI) -> None:
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    crl = pki.build_crl(
        EVENT_CA,
        [RevokedCertificate(serial=12345, revoked_at=when)],
        validity=dt.timedelta(hours=24),
    )
    assert crl.is_signature_valid(pki.certificate(EVENT_CA).public_key())
    assert not crl.is_signature_valid(pki.certificate(ROOT).public_key())
    entry = crl.get_revoked_certificate_by_serial_number(12345)
    assert entry is not None
    assert entry.revocation_date_utc == when
    assert crl.next_update_utc - crl.last_update_utc == dt.timedelta(hours=24)


def test_a_staff_certificate_names_the_person_and_role_as_they_are_now(pki: CourtPKI) -> None:
    """The court holds a staff member's key; the certificate is reused while it still says
    who signs and in what role, and reissued (same key) when either changed."""
    key, first = pki.staff_signing_key("acct-9", "王法官", "审判员")
    _, again = pki.staff_signing_key("acct-9", "王法官", "审判员")
    assert again.serial_number == first.serial_number
    _, as_clerk = pki.staff_signing_key("acct-9", "王法官", "书记员")
    _, renamed = pki.staff_signing_key("acct-9", "王某某", "书记员")
    for cert, (name, title) in ((as_clerk, ("王法官", "书记员")), (renamed, ("王某某", "书记员"))):
        assert cert.serial_number != first.serial_number
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
        assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == title
        assert cert.public_key() == key.public_key()
