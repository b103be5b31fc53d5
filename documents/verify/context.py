"""What one verification knows: trust roots, CRLs, the document's security store."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    #: The context every signature and time stamp is first judged with (see
    #: ``validation_context``); set once the document's DSS is read.
    shared: ValidationContext | None = None
    #: What is wrong with each revision after the last signature (``updates``), by revision.
    update_problems: dict[int, str] = field(default_factory=dict)

    def validation_context(
        self,
        *,
        moment: datetime | None = None,
        retroactive: bool = False,
        revocation_mode: str = "require",
    ) -> ValidationContext:
        """Return an offline context; with a DSS, its certificates and revocation data join
        the caller's (PAdES B-LT validation uses what the document carries).

        Every signature and time stamp of one document is first judged at the same time
        with the same data, so that context is built once and shared (its parsed DSS,
        certificate registry and checked CRLs serve them all, as in pyHanko's own
        validator); a re-validation at another time or in another revocation mode gets a
        context of its own, which the caller releases (``is_shared`` tells them apart).
        """
        default = moment is None and not retroactive and revocation_mode == "require"
        if default and self.shared is not None:
            return self.shared
        return self._build(moment, retroactive, revocation_mode)

    def problem_after(self, revision: int | None) -> str | None:
        """The first thing wrong with a revision after ``revision``: a change that is not
        validation data, which the signature made in ``revision`` does not allow."""
        later = sorted(r for r in self.update_problems if revision is None or r > revision)
        return self.update_problems[later[0]] if later else None

    def is_shared(self, validation_context: ValidationContext) -> bool:
        return validation_context is self.shared

    def _build(
        self, moment: datetime | None, retroactive: bool, revocation_mode: str
    ) -> ValidationContext:
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
