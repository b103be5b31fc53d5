"""What one verification knows: trust roots, CRLs, the document's security store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

# --- Context ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    roots: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...]
    dss: DocumentSecurityStore | None
    now: datetime | None
    roles: dict[str, str]

    def validation_context(
        self,
        *,
        moment: datetime | None = None,
        retroactive: bool = False,
        revocation_mode: str = "require",
    ) -> ValidationContext:
        """Build a fresh offline context; with a DSS, its certificates and revocation data
        join the caller's (PAdES B-LT validation uses what the document carries)."""
        moment = moment or self.now
        if self.dss is not None:
            return self.dss.as_validation_context(
                {
                    "trust_roots": list(self.roots),
                    "crls": list(self.crls),
                    "allow_fetching": False,
                    "revocation_mode": revocation_mode,
                    "retroactive_revinfo": retroactive,
                    "moment": moment,
                }
            )
        return ValidationContext(
            trust_roots=list(self.roots),
            crls=list(self.crls),
            allow_fetching=False,
            # Fail closed: every certificate below the root needs revocation data.
            revocation_mode=revocation_mode,
            retroactive_revinfo=retroactive,
            moment=moment,
        )


@dataclass(frozen=True)
class _Embedded:
    """A filled signature field: parsed, or the reason it could not be."""

    field_name: str
    signature: EmbeddedPdfSignature | None
    problem: str | None
    is_timestamp: bool
    revision: int | None
