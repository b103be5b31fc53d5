"""Errors of the evidence log; ``reason`` is a stable token, ``detail`` explains it."""

from __future__ import annotations

from signing.errors import SigningError


class EvidenceError(SigningError):
    """Base of evidence-log errors: ``code`` names the kind, ``reason`` the exact failure."""

    code = "evidence_error"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.detail = detail

    def __str__(self) -> str:
        text = f"{self.code}: {self.reason}"
        return f"{text} ({self.detail})" if self.detail else text


class ProofError(EvidenceError):
    """An inclusion or consistency proof does not verify."""

    code = "log_proof_invalid"


class ProofRangeError(EvidenceError):
    """A proof was asked for leaves or tree sizes that cannot have one."""

    code = "log_proof_out_of_range"


class NoteError(EvidenceError):
    """A signed checkpoint or verifier key is malformed or not signed by the expected key."""

    code = "log_checkpoint_invalid"


class ReceiptError(EvidenceError):
    """A receipt is not well-formed JSON of the expected shape."""

    code = "log_receipt_malformed"
