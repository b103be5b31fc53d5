"""The court PKI: root CA, event CA for litigants, seal and time-stamping certificates, log key.

``CourtPKI.init()`` creates whatever is missing, once: running it again changes nothing.
Certificates are public files in the PKI folder; private keys live in the KeyStore.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.errors import (
    BadCsrSignature,
    CertificateNotUsable,
    MalformedCsr,
    PkiNotInitialised,
    UnsupportedKey,
)
from signing.interfaces import KeyStore

ROOT = "court-root"
EVENT_CA = "event-ca"
SEAL = "court-seal"
TSA = "court-tsa"
LOG_KEY = "log-checkpoint"

#: Key usage of a litigant's device certificate: signing with non-repudiation (ESL 13).
_SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class DeviceSubject:
    """Who a device certificate is for, taken from the verified identity, never from the CSR."""

    name: str
    #: Pseudonymous account id, so that the certificate carries no ID number.
    account_id: str


@dataclass(frozen=True)
class RevokedCertificate:
    serial: int
    revoked_at: dt.datetime


@dataclass(frozen=True)
class InitReport:
    created: tuple[str, ...]
    existing: tuple[str, ...]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class CourtPKI:
    """Creates and uses the court's certificates; knows nothing of HTTP or the database."""

    def __init__(self, keystore: KeyStore, folder: Path, *, court_name: str, base_url: str) -> None:
        self._keys = keystore
        self._folder = folder
        self._court_name = court_name
        self._base_url = base_url.rstrip("/")
        folder.mkdir(parents=True, exist_ok=True)

    # -- locations -------------------------------------------------------------------------
    def cert_path(self, name: str) -> Path:
        return self._folder / f"{name}.cert.pem"

    @property
    def log_public_key_path(self) -> Path:
        return self._folder / f"{LOG_KEY}.pub.pem"

    def crl_url(self, issuer: str) -> str:
        return f"{self._base_url}/pki/{issuer}.crl"

    def cert_url(self, name: str) -> str:
        return f"{self._base_url}/pki/{name}.pem"

    # -- creation --------------------------------------------------------------------------
    def init(self) -> InitReport:
        """Create each missing key and certificate; leave existing ones untouched."""
        created: list[str] = []
        existing: list[str] = []
        plan = [
            (ROOT, self._make_root),
            (EVENT_CA, lambda key: self._make_ca_child(key, EVENT_CA, "诉讼参与人事件证书 CA")),
            (SEAL, lambda key: self._make_leaf(key, SEAL, f"{self._court_name} 电子印章", None)),
            (
                TSA,
                lambda key: self._make_leaf(
                    key, TSA, f"{self._court_name} 时间戳服务", ExtendedKeyUsageOID.TIME_STAMPING
                ),
            ),
        ]
        for name, make in plan:
            if self.cert_path(name).exists():
                existing.append(name)
                continue
            if not self._keys.exists(name):
                self._keys.store(name, ec.generate_private_key(ec.SECP256R1()))
            key = self._keys.load(name)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            cert = make(key)
            _write_public(self.cert_path(name), cert.public_bytes(serialization.Encoding.PEM))
            created.append(name)
        if self.log_public_key_path.exists():
            existing.append(LOG_KEY)
        else:
            if not self._keys.exists(LOG_KEY):
                self._keys.store(LOG_KEY, ed25519.Ed25519PrivateKey.generate())
            log_key = self._keys.load(LOG_KEY)
            pub = log_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            _write_public(self.log_public_key_path, pub)
            created.append(LOG_KEY)
        return InitReport(tuple(created), tuple(existing))

    def _name(self, common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self._court_name),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )

    def _make_root(self, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
        name = self._name(f"{self._court_name} 根证书")
        now = _now()
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=20 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )

    def _under_root(
        self, key: ec.EllipticCurvePrivateKey, subject: x509.Name, days: int
    ) -> x509.CertificateBuilder:
        root_cert = self.certificate(ROOT)
        now = _now()
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    _ec_public(root_cert.public_key())
                ),
                critical=False,
            )
            .add_extension(_distribution_point(self.crl_url(ROOT)), critical=False)
        )

    def _make_ca_child(
        self, key: ec.EllipticCurvePrivateKey, _name: str, common_name: str
    ) -> x509.Certificate:
        builder = (
            self._under_root(key, self._name(common_name), 10 * 365)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_USAGE, critical=True)
        )
        return builder.sign(self.ec_key(ROOT), hashes.SHA256())

    def _make_leaf(
        self,
        key: ec.EllipticCurvePrivateKey,
        _name: str,
        common_name: str,
        eku: x509.ObjectIdentifier | None,
    ) -> x509.Certificate:
        builder = (
            self._under_root(key, self._name(common_name), 5 * 365)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_SIGNING_USAGE, critical=True)
        )
        if eku is not None:
            # RFC 3161 §2.3: a TSA certificate has exactly this EKU, marked critical.
            builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
        return builder.sign(self.ec_key(ROOT), hashes.SHA256())

    # -- use -------------------------------------------------------------------------------
    def certificate(self, name: str) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(self.cert_path(name).read_bytes())
        except FileNotFoundError as exc:
            raise PkiNotInitialised(
                f"certificate {name!r} is missing; run the init command"
            ) from exc

    def ec_key(self, name: str) -> ec.EllipticCurvePrivateKey:
        key = self._keys.load(name)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    def log_private_key(self) -> ed25519.Ed25519PrivateKey:
        key = self._keys.load(LOG_KEY)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key

    def issue_device_certificate(
        self,
        csr: x509.CertificateSigningRequest,
        subject: DeviceSubject,
        *,
        days: int,
        now: dt.datetime | None = None,
    ) -> x509.Certificate:
        """Issue a signing certificate for a checked CSR, naming the verified person only."""
        now = now or _now()
        ca_cert = self.certificate(EVENT_CA)
        public_key = _ec_public(csr.public_key())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.COMMON_NAME, subject.name),
                x509.NameAttribute(NameOID.USER_ID, subject.account_id),
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(ca_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_SIGNING_USAGE, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    _ec_public(ca_cert.public_key())
                ),
                critical=False,
            )
            .add_extension(_distribution_point(self.crl_url(EVENT_CA)), critical=False)
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(self.cert_url(EVENT_CA)),
                        )
                    ]
                ),
                critical=False,
            )
            .sign(self.ec_key(EVENT_CA), hashes.SHA256())
        )

    def staff_signing_key(
        self, account_id: str, name: str, title: str, *, days: int = 365
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """The court-held signing key of a judge or mediator, created on first use.

        Staff sign in the browser after re-entering their password, so the court holds these
        keys (in the KeyStore, like its own); the certificate names the person and the role.
        """
        key_name = f"staff-{account_id}"
        if not self._keys.exists(key_name):
            self._keys.store(key_name, ec.generate_private_key(ec.SECP256R1()))
        key = self.ec_key(key_name)
        path = self.cert_path(key_name)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self._court_name),
                x509.NameAttribute(NameOID.TITLE, title),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.USER_ID, account_id),
            ]
        )
        if path.exists():
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            # Kept while valid and still naming the person and role as they are now: a
            # renamed clerk, or a mediator signing as clerk, gets a certificate that says so.
            if cert.not_valid_after_utc > _now() + dt.timedelta(days=1) and cert.subject == subject:
                return key, cert
        ca_cert = self.certificate(EVENT_CA)
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_SIGNING_USAGE, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    _ec_public(ca_cert.public_key())
                ),
                critical=False,
            )
            .add_extension(_distribution_point(self.crl_url(EVENT_CA)), critical=False)
            .sign(self.ec_key(EVENT_CA), hashes.SHA256())
        )
        _write_public(path, cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    def build_crl(
        self,
        issuer: str,
        revoked: Iterable[RevokedCertificate],
        *,
        validity: dt.timedelta,
        now: dt.datetime | None = None,
    ) -> x509.CertificateRevocationList:
        """Sign a fresh CRL for ``issuer`` (the root or the event CA) listing ``revoked``."""
        now = now or _now()
        issuer_cert = self.certificate(issuer)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer_cert.subject)
            .last_update(now)
            .next_update(now + validity)
            # Milliseconds since the epoch: increases with every issuance, needs no counter.
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    _ec_public(issuer_cert.public_key())
                ),
                critical=False,
            )
        )
        for entry in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(entry.serial)
                .revocation_date(entry.revoked_at)
                .build()
            )
        return builder.sign(self.ec_key(issuer), hashes.SHA256())


def _distribution_point(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def _ec_public(key: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise UnsupportedKey("expected an elliptic-curve public key")
    return key


def load_device_csr(data: bytes) -> x509.CertificateSigningRequest:
    """Parse a device CSR (PEM or DER) and check it is a P-256 key that signed itself.

    The self-signature is the proof that the phone holds the private key (RFC 2986 §3).
    """
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            csr = x509.load_pem_x509_csr(data)
        else:
            csr = x509.load_der_x509_csr(data)
        public_key = csr.public_key()
    except (ValueError, TypeError, x509.UnsupportedGeneralNameType) as exc:
        raise MalformedCsr(f"cannot parse the CSR: {exc}") from exc
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise UnsupportedKey(f"key type {type(public_key).__name__} is not accepted; use P-256")
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise UnsupportedKey(f"curve {public_key.curve.name} is not accepted; use P-256")
    try:
        valid = csr.is_signature_valid
    except (ValueError, TypeError) as exc:
        raise BadCsrSignature(f"the self-signature cannot be checked: {exc}") from exc
    if not valid:
        raise BadCsrSignature("the CSR's self-signature does not verify")
    return csr


def check_device_certificate(
    cert: x509.Certificate, issuer: x509.Certificate, *, at: dt.datetime, revoked: bool
) -> None:
    """Refuse a device certificate that is revoked, out of its validity, or not ours."""
    if revoked:
        raise CertificateNotUsable(f"certificate {cert.serial_number:x} is revoked")
    if not (cert.not_valid_before_utc <= at <= cert.not_valid_after_utc):
        raise CertificateNotUsable(f"certificate {cert.serial_number:x} is not valid at {at}")
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise CertificateNotUsable("certificate was not issued by the court's event CA") from exc
