"""Errors of the signing package. No HTTP here: the court app maps them to responses."""

from __future__ import annotations


class SigningError(Exception):
    """Base of signing errors; ``code`` is stable and machine-readable, ``reason`` explains."""

    code = "signing_error"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{self.code}: {reason}")


class MalformedCsr(SigningError):
    code = "csr_malformed"


class UnsupportedKey(SigningError):
    code = "csr_unsupported_key"


class BadCsrSignature(SigningError):
    code = "csr_bad_signature"


class BadSignature(SigningError):
    code = "signature_invalid"


class CertificateNotUsable(SigningError):
    code = "certificate_not_usable"


class KeyStoreError(SigningError):
    code = "keystore_error"


class PkiNotInitialised(SigningError):
    code = "pki_not_initialised"
