"""Report types of the verification engine: frozen, documented, JSON-ready."""

from __future__ import annotations

import re
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import Enum
from typing import Literal

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.ades.report import AdESIndeterminate

Indication = Literal["TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE"]
Coverage = Literal["entire_file", "followed_by_allowed_changes", "followed_by_disallowed_changes"]
Revocation = Literal["good", "revoked", "unknown"]
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]

PASSED: Indication = "TOTAL-PASSED"
FAILED: Indication = "TOTAL-FAILED"
INDETERMINATE: Indication = "INDETERMINATE"

#: What a hostile file can make the PDF and ASN.1 parsers raise; each is a format failure.
_MALFORMED = (
    PdfError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
    RecursionError,
    zlib.error,
    # pyHanko checks some structure with assert (an xref stream's /Index ranges must
    # increase; an xref stream must say /Type /XRef): those are format failures too. So
    # the verifier must never run under ``python -O``, which would skip them.
    AssertionError,
)
#: PAdES (EN 319 142-1 §4) and the legacy PKCS#7 detached signatures we also read.
_SIG_SUBFILTERS = frozenset({"/ETSI.CAdES.detached", "/adbe.pkcs7.detached"})
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
#: An EOL marker may follow the last ``%%EOF`` (ISO 32000-1 §7.5.5); nothing else may.
_EOL = (b"\r\n", b"\n", b"\r", b"")
#: Sub-indications pyHanko gives when the signing-time question, not the chain, failed.
_TIME_BOUND = frozenset(
    {
        AdESIndeterminate.REVOKED_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    }
)


@dataclass(frozen=True)
class Reason:
    """Why a check did not pass: a stable ``code`` and a sentence for people."""

    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True)
class ExpectedSigner:
    """A signature the document must carry: who signs (``role``) in which field, and, when
    ``name`` is given, whose certificate (its common name) must have signed it."""

    role: str
    field_name: str
    name: str | None = None


@dataclass(frozen=True)
class RegistryEvidence:
    """What the court recorded when it issued the document, and optionally the log's proof.

    The proof pieces are those of a receipt (``signing.evidence.receipt``): the logged
    record, its leaf index, the signed checkpoint note, the inclusion path, and the log's
    verifier key (``<name>+<id>+<key>``) to open the checkpoint with.
    """

    issued_sha256: str
    checkpoint: str | None = None
    log_key: str | None = None
    record: bytes | None = None
    leaf_index: int | None = None
    inclusion_proof: tuple[bytes, ...] = ()

    @property
    def has_log_proof(self) -> bool:
        """Tell whether any piece of a log proof was given."""
        return any(
            piece is not None
            for piece in (self.checkpoint, self.log_key, self.record, self.leaf_index)
        )


@dataclass(frozen=True)
class TimestampReport:
    """An RFC 3161 time stamp: a signature's, or a document time stamp (/DocTimeStamp)."""

    time: datetime | None
    #: Common name of the time-stamping authority.
    authority: str
    #: The token's digest matches and its signature verifies.
    intact: bool
    #: The TSA's certificate chains to a trust root and is not revoked.
    trusted: bool
    #: EN 319 102-1 sub-indication of the trust problem, if any.
    problem: str | None


@dataclass(frozen=True)
class ChainReport:
    """Whether the signer's certificate chains to one of the given roots, and why not."""

    trusted: bool
    #: Common names from the signer up to the trust anchor (the anchor last).
    path: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature (EN 319 102-1 §5.3/§5.5) and the facts behind it."""

    field_name: str
    #: Common name of the signing certificate.
    signer_name: str | None
    #: Role of the ExpectedSigner whose field this is, if any.
    role: str | None
    #: The signature dictionary's /Reason, as the signer wrote it.
    stated_reason: str | None
    #: Serial number of the signing certificate, lowercase hex.
    certificate_serial: str | None
    #: Signing time claimed by the signer (signed attribute or /M); not proof of anything.
    claimed_signing_time: datetime | None
    timestamp: TimestampReport | None
    chain: ChainReport | None
    #: Revocation status of the signing certificate at the (proven) signing time.
    revocation: Revocation
    revoked_at: datetime | None
    pades_level: PadesLevel | None
    coverage: Coverage
    #: pyHanko's modification level of what follows the signed revision (NONE … OTHER).
    modification_level: str | None
    #: 0-based revision the signature belongs to.
    revision: int | None
    indication: Indication
    sub_indication: str | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class DocumentTimestampReport:
    """The verdict on one document time stamp (PAdES B-LTA), reported as a time, not a signer."""

    field_name: str
    timestamp: TimestampReport | None
    coverage: Coverage
    modification_level: str | None
    revision: int | None
    indication: Indication
    sub_indication: str | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class VerificationReport:
    """The whole verdict: per signature, per document time stamp, and for the document."""

    indication: Indication
    sub_indication: str | None
    reasons: tuple[Reason, ...]
    #: SHA-256 (hex) and length of exactly the bytes verified.
    sha256: str
    size: int
    #: Number of revisions (the original plus each incremental update) the file holds.
    revisions: int
    signatures: tuple[SignatureReport, ...]
    timestamps: tuple[DocumentTimestampReport, ...]
    #: Fields of expected signers that hold no signature.
    missing_fields: tuple[str, ...]
    #: Bytes after the last revision's ``%%EOF`` that no revision accounts for.
    uncovered_bytes: int
    #: The file's hash equals the registry's issued hash; None when no registry was given.
    registry_match: bool | None
    #: The log proof verified and its record names the issued hash; None when not given.
    log_proof_ok: bool | None
    validated_at: datetime

    @property
    def passed(self) -> bool:
        """Tell whether the document passed every check."""
        return self.indication == PASSED

    def to_json(self) -> dict[str, object]:
        """Return the report as JSON-ready values (times in ISO 8601)."""
        return {**_jsonable(asdict(self)), "passed": self.passed}


def _jsonable(data: dict[str, object]) -> dict[str, object]:
    """Return ``asdict`` output with times as ISO 8601 text and tuples as lists."""

    def convert(value: object) -> object:
        if isinstance(value, dict):
            return {str(key): convert(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [convert(item) for item in value]
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Enum):
            return value.name
        return value

    return {key: convert(value) for key, value in data.items()}
