"""Device enrolment and revocation: the server certifies keys it never sees the private half of."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, col, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.db import utcnow
from court.devices.errors import KeyAlreadyEnrolled
from court.devices.models import DEVICE_MOVES, Device, DeviceState
from court.errors import NotFound
from court.identity.errors import IdentityRequired
from court.identity.models import Person
from signing.errors import MalformedCsr
from signing.pki import (
    EVENT_CA,
    ROOT,
    CourtPKI,
    DeviceSubject,
    RevokedCertificate,
    check_device_certificate,
    load_device_csr,
)


def decode_csr_field(value: str) -> bytes:
    """Accept a CSR as PEM text or as base64 of DER."""
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise MalformedCsr("the CSR is neither PEM nor base64 DER") from exc


def enrol_device(
    session: Session,
    pki: CourtPKI,
    actor: Actor,
    account: Account,
    *,
    csr_bytes: bytes,
    label: str,
    validity_days: int,
) -> Device:
    """Check the CSR and issue a certificate for the account's verified person.

    The subject the CSR asks for is ignored: the certificate names the verified person.
    """
    if account.person_id is None:
        raise IdentityRequired
    person = session.get(Person, account.person_id)
    assert person is not None
    csr = load_device_csr(csr_bytes)
    spki = csr.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_sha256 = hashlib.sha256(spki).hexdigest()
    if session.exec(select(Device).where(Device.key_sha256 == key_sha256)).first():
        raise KeyAlreadyEnrolled
    cert = pki.issue_device_certificate(
        csr, DeviceSubject(name=person.name, account_id=account.id), days=validity_days
    )
    device = Device(
        account_id=account.id,
        person_id=person.id,
        label=label,
        serial=f"{cert.serial_number:x}",
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_sha256=key_sha256,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        created_at=utcnow(),
    )
    DEVICE_MOVES.start(session, device, DeviceState.ACTIVE, actor, "enrolled")
    session.flush()
    record_audit(
        session,
        actor,
        "device.enrol",
        "device",
        device.id,
        {"serial": device.serial, "label": label, "not_after": device.not_after.isoformat()},
    )
    return device


def list_devices(session: Session, account_id: str) -> list[Device]:
    return list(
        session.exec(
            select(Device).where(Device.account_id == account_id).order_by(col(Device.created_at))
        )
    )


def get_own_device(session: Session, account_id: str, device_id: str) -> Device:
    """Return the caller's device; another person's device is reported as not found."""
    device = session.get(Device, device_id)
    if device is None or device.account_id != account_id:
        raise NotFound({"device": device_id})
    return device


def revoke_device(session: Session, actor: Actor, device: Device, reason: str) -> Device:
    """Revoke a device's certificate; it appears on the next CRL."""
    DEVICE_MOVES.move(session, device, DeviceState.REVOKED, actor, reason)
    device.revoked_at = utcnow()
    device.revocation_reason = reason
    session.add(device)
    record_audit(session, actor, "device.revoke", "device", device.id, {"reason": reason})
    return device


def usable_certificate(
    session: Session, pki: CourtPKI, device: Device, *, at: dt.datetime | None = None
) -> x509.Certificate:
    """Return the device's certificate if it may sign now, else raise CertificateNotUsable."""
    at = at or utcnow()
    cert = x509.load_pem_x509_certificate(device.certificate_pem.encode())
    check_device_certificate(
        cert,
        pki.certificate(EVENT_CA),
        at=at,
        revoked=device.state != DeviceState.ACTIVE,
    )
    return cert


def revoked_certificates(session: Session) -> list[RevokedCertificate]:
    rows = session.exec(
        select(Device).where(Device.state == DeviceState.REVOKED.value).order_by(col(Device.serial))
    )
    return [
        RevokedCertificate(serial=int(d.serial, 16), revoked_at=d.revoked_at or d.created_at)
        for d in rows
    ]


def current_crls(session: Session, pki: CourtPKI, *, validity: dt.timedelta) -> list[bytes]:
    """Fresh CRLs (DER) of the root and of the event CA, listing every revoked device."""
    return [
        pki.build_crl(ROOT, [], validity=validity).public_bytes(serialization.Encoding.DER),
        pki.build_crl(EVENT_CA, revoked_certificates(session), validity=validity).public_bytes(
            serialization.Encoding.DER
        ),
    ]
