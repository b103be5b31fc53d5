"""Sealing a PDF with the court's seal certificate: PAdES, time-stamped, validation data in.

This is the minimal sealing path the filing packet needs; signed documents (mediation
agreements, transcripts) build on it with visible fields, party signatures and B-LTA.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import DSSContentSettings
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.signature_stamp import signature_box
from signing.event_loop import outside_event_loop


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class SealingKey:
    """The court seal: key, certificate, the chain up to the root, and current CRLs (DER)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: Sequence[x509.Certificate]
    root: x509.Certificate
    crls: Sequence[bytes]


def seal_pdf(
    pdf: bytes,
    seal: SealingKey,
    timestamper: TimeStamper,
    *,
    field_name: str = "CourtSeal",
    reason: str = "法院电子印章",
    location: str = "",
    lock_fields: bool = False,
    archive_timestamp: bool = False,
    box: tuple[int, int, int, int] | None = None,
    page: int = 0,
    appearance: Path | None = None,
) -> bytes:
    """Apply the court's seal as a PAdES signature with a time stamp and embedded validation
    data (certificates and CRLs), so that it verifies later without asking the court.

    ``archive_timestamp`` adds a document time stamp (PAdES B-LTA); ``lock_fields`` makes the
    seal lock every field, so nothing can be filled in after sealing.
    """
    key_info = asn1_keys.PrivateKeyInfo.load(
        seal.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [_asn1_cert(c) for c in seal.chain]
    root = _asn1_cert(seal.root)
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(seal.certificate),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([*chain, root]),
    )
    context = ValidationContext(trust_roots=[root], crls=list(seal.crls), allow_fetching=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
        embed_validation_info=True,
        validation_context=context,
        # B-LTA: a document time stamp over the signature and its validation data.
        use_pades_lta=archive_timestamp,
        # No /VRI (an optional DSS entry, ISO 32000-2 table 261, which PAdES baseline
        # validation does not need: validators use the DSS's /Certs and /CRLs). With it,
        # the document time stamp got a revision of its own after it only to add its /VRI
        # entry, its TSA's certificate and CRL being in the DSS already (the seal's own
        # time stamp is from the same authority): one revision less for every verifier to
        # compare against each signed revision.
        dss_settings=DSSContentSettings(include_vri=False),
    )
    # After the seal nothing may be filled in: the seal's field locks every field.
    lock = fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if lock_fields else None
    field_spec = (
        fields.SigFieldSpec(field_name, box=box, on_page=page, field_mdp_spec=lock)
        if lock is not None or box is not None
        else None
    )
    # The visible seal is a fixed image: no font is subset for each seal.
    style = (
        StaticStampStyle(background=PdfImage(str(appearance)), border_width=0)
        if appearance is not None and box is not None
        else None
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        timestamper=timestamper,
        new_field_spec=field_spec,
        stamp_style=style,
    )
    output = outside_event_loop(pdf_signer.sign_pdf, writer)
    return output.getvalue()


def sign_with_held_key(
    pdf: bytes,
    *,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    field_name: str,
    reason: str,
    timestamper: TimeStamper,
) -> bytes:
    """Sign an existing field with a key the court holds for a staff member (PAdES B-T)."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(certificate),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in chain]),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    pdf_signer = signers.PdfSigner(
        metadata, signer=signer, timestamper=timestamper, stamp_style=signature_box(certificate)
    )
    return outside_event_loop(pdf_signer.sign_pdf, writer, existing_fields_only=True).getvalue()
