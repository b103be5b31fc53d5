"""PAdES signatures made with keys that never leave the signer's phone (interrupted signing).

Two steps, possibly minutes apart, with the state kept by the caller:

1. ``prepare_signature``: reserve the signature field's /Contents in a new incremental
   revision, digest the /ByteRange, and build the CMS signed attributes over that digest.
   The phone is given the DER of the signed attributes (and their SHA-256) to sign.
2. ``finish_signature``: check the phone's ECDSA signature against its certificate, build
   the CMS around it, add an RFC 3161 signature time stamp, and fill the reserved space.

The prepared revision is never rewritten afterwards; a preparation made over a revision
that is no longer the latest is refused by the caller and made again.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.signature_stamp import signature_box
from signing.errors import BadSignature
from signing.event_loop import run_coroutine

#: Room for the CMS, in hex digits: 8 000 bytes of DER, twice what a signature with its
#: certificates and the court's time-stamp token takes (≈4 000). Every verifier parses the
#: whole reserved space of every signature, so it is kept no larger than that.
RESERVED_BYTES = 16_000
_ECDSA_SHA256 = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class Preparation:
    """Everything needed to finish later; plain bytes and ints, so it can be stored."""

    #: The document with the new revision written and its /Contents still empty.
    prepared_pdf: bytes
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    #: DER of the CMS signed attributes: what the phone signs (ECDSA with SHA-256).
    signed_attributes: bytes
    field_name: str

    @property
    def attributes_digest(self) -> bytes:
        """SHA-256 of the signed attributes: for phones whose keystore signs a digest."""
        return hashlib.sha256(self.signed_attributes).digest()


def _signer(
    certificate: x509.Certificate, chain: Sequence[x509.Certificate], value: bytes | int
) -> signers.ExternalSigner:
    return signers.ExternalSigner(
        signing_cert=_asn1(certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),
        signature_value=value,
        signature_mechanism=_ECDSA_SHA256,
    )


def prepare_signature(
    pdf: bytes,
    *,
    field_name: str,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    reason: str | None = None,
    handwriting_png: bytes | None = None,
) -> Preparation:
    """Write the signer's revision with a reserved /Contents and build the signed attributes.

    A handwritten signature drawn on the phone, if given, is the field's appearance; else
    a picture of the signer's name and the date (``documents.signature_stamp``).
    """
    return run_coroutine(_prepare(pdf, field_name, certificate, chain, reason, handwriting_png))


async def _prepare(
    pdf: bytes,
    field_name: str,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    reason: str | None,
    handwriting_png: bytes | None,
) -> Preparation:
    external = _signer(certificate, chain, 72)  # an ECDSA P-256 DER signature is ≤ 72 bytes
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
    )
    style = signature_box(certificate, handwriting_png)
    pdf_signer = signers.PdfSigner(metadata, signer=external, stamp_style=style)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
        writer, existing_fields_only=True, bytes_reserved=RESERVED_BYTES
    )
    attributes = await external.signed_attrs(digest.document_digest, "sha256", use_pades=True)
    output.seek(0)
    return Preparation(
        prepared_pdf=output.read(),
        document_digest=digest.document_digest,
        reserved_start=digest.reserved_region_start,
        reserved_end=digest.reserved_region_end,
        signed_attributes=attributes.dump(),
        field_name=field_name,
    )


def finish_signature(
    preparation: Preparation,
    signature: bytes,
    *,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
) -> bytes:
    """Embed the phone's signature (checked first) with a signature time stamp; return the PDF."""
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise BadSignature("the certificate does not hold an EC key")
    try:
        key.verify(signature, preparation.signed_attributes, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("the signature does not verify over the signed attributes") from exc
    return run_coroutine(_finish(preparation, signature, certificate, chain, timestamper))


async def _finish(
    preparation: Preparation,
    signature: bytes,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
) -> bytes:
    external = _signer(certificate, chain, signature)
    attributes = cms.CMSAttributes.load(preparation.signed_attributes)
    signed_data = await external.async_sign_prescribed_attributes(
        "sha256", signed_attrs=attributes, timestamper=timestamper
    )
    output = io.BytesIO(preparation.prepared_pdf)
    digest = PreparedByteRangeDigest(
        document_digest=preparation.document_digest,
        reserved_region_start=preparation.reserved_start,
        reserved_region_end=preparation.reserved_end,
    )
    await PdfTBSDocument.async_finish_signing(output, digest, signed_data)
    return output.getvalue()
