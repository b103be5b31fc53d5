"""Genuine court PDFs for the verification tests: a test PKI, party signatures, the seal.

Everything is made the way the court makes it: a WeasyPrint notice, parties signing named
fields with device certificates from the event CA and court time stamps, the seal last with
its validation data embedded. Attacks in the tests start from these bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.rendering import render_pdf
from documents.sealing import SealingKey, seal_pdf
from documents.signature_stamp import signature_box
from signing.keystore import FileKeyStore
from signing.pki import EVENT_CA, ROOT, SEAL, TSA, CourtPKI, DeviceSubject, RevokedCertificate
from signing.tsa import CourtTimeStamper, TimeStampAuthority

PASSPHRASE = b"a test passphrase of some length"
COURT = "测试人民法院"


@dataclass(frozen=True)
class Party:
    """A litigant's device key and the certificate (with its issuer chain) it signs with."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class CourtDocuments:
    """One notice at every stage of its life, and what a verifier needs to check it."""

    pki: CourtPKI
    timestamper: CourtTimeStamper
    root: x509.Certificate
    #: Current CRLs of the root and the event CA (DER), as the court publishes them.
    crls: tuple[bytes, ...]
    alice: Party
    bob: Party
    unsigned: bytes
    #: Signed by Alice in field ``PartyA``.
    one_party: bytes
    #: Then by Bob in field ``PartyB``.
    two_parties: bytes
    #: Then sealed by the court in field ``CourtSeal`` (B-LT: a DSS update follows).
    sealed: bytes


def make_pki(folder: Path) -> CourtPKI:
    """Create a court PKI in ``folder`` (keys passphrase-protected)."""
    pki = CourtPKI(
        FileKeyStore(folder / "keys", PASSPHRASE),
        folder / "pki",
        court_name=COURT,
        base_url="http://127.0.0.1:8000",
    )
    pki.init()
    return pki


def _csr(key: ec.EllipticCurvePrivateKey, name: str) -> x509.CertificateSigningRequest:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def enrol_party(pki: CourtPKI, name: str, account_id: str) -> Party:
    """Give a litigant a P-256 key and a device certificate from the event CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = pki.issue_device_certificate(
        _csr(key, name), DeviceSubject(name=name, account_id=account_id), days=30
    )
    return Party(key, cert, (pki.certificate(EVENT_CA),))


def rogue_party(name: str) -> Party:
    """Make a signer whose certificate comes from a self-made CA, not the court's."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{COURT} 根证书")])
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Party(key, cert, (ca,))


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_as_party(
    pdf: bytes,
    party: Party,
    field_name: str,
    timestamper: CourtTimeStamper,
    *,
    box: tuple[int, int, int, int] | None = None,
) -> bytes:
    """Add a named signature field (invisible, or visible at ``box``) and sign it as
    ``party`` with a signature time stamp."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=field_name, box=box))
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="当事人签名",
    )
    signer = signers.PdfSigner(
        metadata, signer=party_signer(party), timestamper=timestamper, stamp_style=stamp(party)
    )
    return signer.sign_pdf(writer).getvalue()


def stamp(party: Party) -> StaticStampStyle:
    """The picture the court puts in a party's box: their name and today's date."""
    return signature_box(party.certificate)


def party_signer(party: Party) -> signers.SimpleSigner:
    """pyHanko's signer for ``party``'s key and certificate chain."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        party.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return signers.SimpleSigner(
        signing_cert=_asn1(party.certificate),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in party.chain]),
    )


def court_crls(
    pki: CourtPKI,
    revoked: Sequence[RevokedCertificate] = (),
    *,
    now: dt.datetime | None = None,
) -> tuple[bytes, ...]:
    """Return fresh DER CRLs of the root and of the event CA (listing ``revoked``)."""
    validity = dt.timedelta(days=7)
    root_crl = pki.build_crl(ROOT, [], validity=validity, now=now)
    event_crl = pki.build_crl(EVENT_CA, revoked, validity=validity, now=now)
    return (
        root_crl.public_bytes(serialization.Encoding.DER),
        event_crl.public_bytes(serialization.Encoding.DER),
    )


def timestamper_for(pki: CourtPKI) -> CourtTimeStamper:
    """Return the court's in-process time stamper."""
    authority = TimeStampAuthority(pki.certificate(TSA), pki.ec_key(TSA), [pki.certificate(ROOT)])
    return CourtTimeStamper(authority)


def sealing_key(pki: CourtPKI) -> SealingKey:
    """Return the court seal with the current CRLs to embed."""
    return SealingKey(
        pki.ec_key(SEAL), pki.certificate(SEAL), [], pki.certificate(ROOT), court_crls(pki)
    )


def seal_archived(pdf: bytes, pki: CourtPKI, timestamper: CourtTimeStamper) -> bytes:
    """Seal with the court seal at B-LTA (a document time stamp after it), every field
    locked, as the court issues its documents."""
    return seal_pdf(pdf, sealing_key(pki), timestamper, archive_timestamp=True, lock_fields=True)


def seal(pdf: bytes, pki: CourtPKI, timestamper: CourtTimeStamper) -> bytes:
    """Apply the court seal last, with the CRLs embedded for later validation."""
    return seal_pdf(pdf, sealing_key(pki), timestamper, location=COURT)


def notice() -> bytes:
    """Render an acceptance notice with WeasyPrint."""
    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    return render_pdf(
        "acceptance_notice.html",
        {
            "court_name": COURT,
            "number": "(2026)浙0281民初123号",
            "recipient": "张三",
            "signed_at": when,
            "kind_name": "起诉状",
            "case_number": "(2026)浙0281民初123号",
            "submission_id": "S-2026-000123",
            "title": "张三诉李四买卖合同纠纷",
            "manifest_sha256": "ab" * 32,
            "log_index": 41,
            "issued_at": when,
        },
    )


def build_documents(folder: Path) -> CourtDocuments:
    """Make the PKI, the parties and the notice at each stage of signing."""
    pki = make_pki(folder)
    timestamper = timestamper_for(pki)
    alice = enrol_party(pki, "张三", "acct-alice")
    bob = enrol_party(pki, "李四", "acct-bob")
    unsigned = notice()
    one_party = sign_as_party(unsigned, alice, "PartyA", timestamper)
    two_parties = sign_as_party(one_party, bob, "PartyB", timestamper)
    sealed = seal(two_parties, pki, timestamper)
    return CourtDocuments(
        pki=pki,
        timestamper=timestamper,
        root=pki.certificate(ROOT),
        crls=court_crls(pki),
        alice=alice,
        bob=bob,
        unsigned=unsigned,
        one_party=one_party,
        two_parties=two_parties,
        sealed=sealed,
    )


def image_sizes(pdf: Path) -> set[tuple[str, ...]]:
    """(width, height) of every image in the file, as ``pdfimages -list`` prints them."""
    import subprocess

    listing = subprocess.run(
        ["pdfimages", "-list", pdf], capture_output=True, text=True, check=True
    )
    return {tuple(line.split()[3:5]) for line in listing.stdout.splitlines()[2:]}
