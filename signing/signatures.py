"""Signatures by litigants' device keys over canonical JSON (RFC 8785) statements."""

from __future__ import annotations

from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from signing.errors import BadSignature


def canonical_json(statement: dict[str, Any]) -> bytes:
    """Return the RFC 8785 canonical form: the exact bytes a phone signs."""
    try:
        return rfc8785.dumps(statement)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise BadSignature(f"the statement cannot be canonicalised: {exc}") from exc


def verify_device_signature(cert: x509.Certificate, message: bytes, signature_der: bytes) -> None:
    """Check an ECDSA P-256 / SHA-256 signature (DER) by the certificate's key, or raise."""
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise BadSignature("the certificate does not hold an EC key")
    try:
        key.verify(signature_der, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("the signature does not verify with the enrolled key") from exc
