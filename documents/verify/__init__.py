"""Verify court PDFs: one engine for the API, the public page and the offline command.

``verify_pdf`` returns a ``VerificationReport`` (never a bool); ``python -m documents.verify
FILE --trust ROOT.pem`` prints one and exits 0 only on TOTAL-PASSED.
"""

from documents.verify.engine import verify_pdf
from documents.verify.reports import (
    ChainReport,
    DocumentTimestampReport,
    ExpectedSigner,
    Reason,
    RegistryEvidence,
    SignatureReport,
    TimestampReport,
    VerificationReport,
)

__all__ = [
    "ChainReport",
    "DocumentTimestampReport",
    "ExpectedSigner",
    "Reason",
    "RegistryEvidence",
    "SignatureReport",
    "TimestampReport",
    "VerificationReport",
    "verify_pdf",
]
