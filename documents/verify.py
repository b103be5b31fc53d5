"""Verify court PDFs: signatures, document time stamps, and the court's registry.

Every signature gets an indication of ETSI EN 319 102-1 §5.1.3 (TOTAL-PASSED, TOTAL-FAILED
or INDETERMINATE with a sub-indication), the PAdES level it reaches (EN 319 142-1 B-B … B-LTA)
and what its byte range covers. The document passes only if every signature passes, every
expected signer signed, nothing but validation data follows the last signature and, when the
court's registry is given, the file's SHA-256 is the issued one (with the log's proof).

Verification fails closed: a malformed file, an unknown sub-filter or an unreadable signature
is reported as a failure, never skipped, and ``verify_pdf`` returns a report, never a bool.
No network: revocation data comes from the caller and the document's DSS only.

Run ``python -m documents.verify FILE --trust ROOT.pem`` for a report on the terminal.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    ModificationInfo,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    TimestampSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.path import ValidationPath

from signing.evidence.errors import EvidenceError, ProofError
from signing.evidence.merkle import leaf_hash, verify_inclusion
from signing.evidence.note import open_checkpoint

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
    """A signature the document must carry: who signs (``role``) in which field."""

    role: str
    field_name: str


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


# --- Verdicts ------------------------------------------------------------------------


@dataclass
class _Findings:
    """Collect failed checks; the first TOTAL-FAILED wins, else the first INDETERMINATE."""

    items: list[tuple[Indication, str, Reason]] = field(default_factory=list)

    def add(self, indication: Indication, sub_indication: str, code: str, detail: str) -> None:
        self.items.append((indication, sub_indication, Reason(code, detail)))

    def verdict(self) -> tuple[Indication, str | None, tuple[Reason, ...]]:
        reasons = tuple(reason for _, _, reason in self.items)
        for wanted in (FAILED, INDETERMINATE):
            for indication, sub_indication, _ in self.items:
                if indication == wanted:
                    return indication, sub_indication, reasons
        return PASSED, None, reasons


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


# --- Entry point ------------------------------------------------------------------------


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[bytes] = (),
    expected_signers: Sequence[ExpectedSigner] = (),
    registry: RegistryEvidence | None = None,
    now: datetime | None = None,
) -> VerificationReport:
    """Verify every signature and time stamp in ``data`` and whether it is the issued file.

    ``crls`` are DER CRLs the caller holds as current (the court's published ones); the
    document's own DSS is used as well. ``now`` fixes the validation time (default: now).
    Raises ValueError only for a bad argument (a CRL that does not parse); anything wrong
    with ``data`` is in the report. It runs its own event loop: call it from synchronous
    code (a request handler, a worker), not from inside a running loop.
    """
    context = _Context(
        roots=tuple(_to_asn1(cert) for cert in trust_roots),
        crls=tuple(_load_crls(crls)),
        dss=None,
        now=now,
        roles={signer.field_name: signer.role for signer in expected_signers},
    )
    return asyncio.run(_verify(data, context, tuple(expected_signers), registry))


async def _verify(
    data: bytes,
    context: _Context,
    expected_signers: tuple[ExpectedSigner, ...],
    registry: RegistryEvidence | None,
) -> VerificationReport:
    findings = _Findings()
    digest = hashlib.sha256(data).hexdigest()
    registry_match, log_proof_ok = _check_registry(digest, registry, findings)
    # EN 319 102-1 §5.2.2 format checking, first for the file as a whole.
    try:
        reader = PdfFileReader(io.BytesIO(data))
        revisions = reader.xrefs.total_revisions
        embedded = _embedded_signatures(reader)
        uncovered = _uncovered_bytes(data, reader)
    except _MALFORMED as exc:
        findings.add(FAILED, "FORMAT_FAILURE", "malformed_pdf", f"not a readable PDF: {exc}")
        revisions, embedded, uncovered = 0, [], 0
    else:
        context = _Context(
            context.roots, context.crls, _read_dss(reader, findings), context.now, context.roles
        )
    timestamps = [
        await _check_document_timestamp(item, _later_fields(item, embedded), context)
        for item in embedded
        if item.is_timestamp
    ]
    signatures = [
        await _check_signature(item, _later_fields(item, embedded), timestamps, context)
        for item in embedded
        if not item.is_timestamp
    ]
    if revisions:
        _conclude_document(findings, signatures, timestamps, uncovered)
    present = {report.field_name for report in signatures}
    missing = tuple(s.field_name for s in expected_signers if s.field_name not in present)
    for signer in expected_signers:
        if signer.field_name in missing:
            findings.add(
                INDETERMINATE,
                "SIGNED_DATA_NOT_FOUND",
                "incomplete",
                f"missing {signer.field_name} ({signer.role})",
            )
    if registry_match is False:
        findings.add(
            FAILED,
            "HASH_FAILURE",
            "not_issued",
            f"this file ({revisions} revisions, {len(data)} bytes, SHA-256 {digest}) is not "
            "the document the court issued",
        )
    indication, sub_indication, reasons = findings.verdict()
    return VerificationReport(
        indication=indication,
        sub_indication=sub_indication,
        reasons=reasons,
        sha256=digest,
        size=len(data),
        revisions=revisions,
        signatures=tuple(signatures),
        timestamps=tuple(timestamps),
        missing_fields=missing,
        uncovered_bytes=uncovered,
        registry_match=registry_match,
        log_proof_ok=log_proof_ok,
        validated_at=context.now or datetime.now(UTC),
    )


def _conclude_document(
    findings: _Findings,
    signatures: Sequence[SignatureReport],
    timestamps: Sequence[DocumentTimestampReport],
    uncovered: int,
) -> None:
    """Carry every failing signature and time stamp up, and judge what no signature covers."""
    if not signatures:
        findings.add(INDETERMINATE, "SIGNED_DATA_NOT_FOUND", "unsigned", "no signature found")
    reports: list[SignatureReport | DocumentTimestampReport] = [*signatures, *timestamps]
    for report in reports:
        if report.indication != PASSED:
            first = report.reasons[0] if report.reasons else Reason("failed", "")
            kind = "signature" if isinstance(report, SignatureReport) else "timestamp"
            findings.add(
                report.indication,
                report.sub_indication or "GENERIC",
                f"{kind}_{first.code}",
                f"{report.field_name}: {first.detail}",
            )
    if uncovered:
        findings.add(
            FAILED,
            "FORMAT_FAILURE",
            "uncovered_bytes",
            f"{uncovered} bytes after the last revision's %%EOF are covered by no signature",
        )


# --- Reading the file -------------------------------------------------------------------


def _embedded_signatures(reader: PdfFileReader) -> list[_Embedded]:
    """List every filled signature field in signing order; keep the unreadable ones too.

    pyHanko's own listing skips signatures with an unknown /SubFilter; here they are kept
    and fail (§5.2.2), so a signature cannot be hidden by giving it a strange sub-filter.
    """
    found: list[_Embedded] = []
    for name, sig_ref, sig_field in enumerate_sig_fields(reader, filled_status=True):
        field_name = str(name)
        try:
            sig_object = sig_ref.get_object()
            is_timestamp = sig_object.get("/Type") == "/DocTimeStamp"
            subfilter = str(sig_object.get("/SubFilter"))
            allowed = {"/ETSI.RFC3161"} if is_timestamp else _SIG_SUBFILTERS
            if subfilter not in allowed:
                problem = f"unsupported /SubFilter {subfilter}"
                found.append(_Embedded(field_name, None, problem, is_timestamp, None))
                continue
            signature = EmbeddedPdfSignature(reader, sig_field, field_name)
        except _MALFORMED as exc:
            found.append(_Embedded(field_name, None, str(exc), False, None))
            continue
        revision = int(signature.signed_revision)
        found.append(_Embedded(field_name, signature, None, is_timestamp, revision))
    return sorted(found, key=lambda item: (item.revision is None, item.revision or 0))


def _later_fields(item: _Embedded, embedded: Sequence[_Embedded]) -> frozenset[str]:
    """Return the fields signed in revisions after ``item``'s."""
    if item.revision is None:
        return frozenset()
    return frozenset(
        other.field_name
        for other in embedded
        if other.revision is not None and other.revision > item.revision
    )


def _uncovered_bytes(data: bytes, reader: PdfFileReader) -> int:
    """Count the bytes after the last revision's ``%%EOF`` (and its EOL).

    pyHanko finds the last revision from the end of the file and ignores what trails it, so
    bytes appended after ``%%EOF`` change the file without any signature or revision
    accounting for them.
    """
    last = reader.xrefs.total_revisions - 1
    xref_end = int(reader.xrefs.get_xref_container_info(last).end_location)
    eof = data.find(b"%%EOF", xref_end)
    if eof < 0:
        raise PdfError("no %%EOF after the last cross-reference section")
    tail = data[eof + len(b"%%EOF") :]
    eol = next(marker for marker in _EOL if tail.startswith(marker))
    return len(tail) - len(eol)


def _read_dss(reader: PdfFileReader, findings: _Findings) -> DocumentSecurityStore | None:
    """Return the document security store (PAdES B-LT validation data), if any."""
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    except _MALFORMED as exc:
        findings.add(FAILED, "FORMAT_FAILURE", "malformed_dss", f"the /DSS is unreadable: {exc}")
        return None


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _load_crls(crls: Iterable[bytes]) -> Iterable[asn1_crl.CertificateList]:
    for position, der in enumerate(crls):
        try:
            crl = asn1_crl.CertificateList.load(der)
            crl.native  # noqa: B018 - parse it all now: a bad CRL is the caller's error
        except (ValueError, TypeError) as exc:
            raise ValueError(f"CRL #{position} is not a DER CertificateList") from exc
        yield crl


# --- One signature ----------------------------------------------------------------------


async def _check_signature(
    item: _Embedded,
    later_fields: frozenset[str],
    document_timestamps: Sequence[DocumentTimestampReport],
    context: _Context,
) -> SignatureReport:
    """Run EN 319 102-1 §5.3 (basic) and §5.5 (with time) validation on one signature."""
    findings = _Findings()
    role = context.roles.get(item.field_name)
    signature = item.signature
    if signature is None:
        # §5.2.2: the signature dictionary or its CMS object cannot be read.
        findings.add(FAILED, "FORMAT_FAILURE", "malformed_signature", item.problem or "")
        return _unreadable_signature(item, role, findings)
    try:
        status = await _validate(signature, context)
        return await _judge_signature(
            item, signature, status, later_fields, document_timestamps, context
        )
    except SignatureValidationError as exc:
        sub = exc.ades_subindication
        indication = FAILED if sub.status.name == "FAILED" else INDETERMINATE
        findings.add(indication, sub.standard_name, "invalid_signature", exc.failure_message)
    except _MALFORMED as exc:
        findings.add(FAILED, "FORMAT_FAILURE", "malformed_signature", str(exc))
    return _unreadable_signature(item, role, findings)


async def _judge_signature(
    item: _Embedded,
    signature: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    later_fields: frozenset[str],
    document_timestamps: Sequence[DocumentTimestampReport],
    context: _Context,
) -> SignatureReport:
    """Turn pyHanko's status into findings, step by step of EN 319 102-1."""
    findings = _Findings()
    timestamp = _timestamp_report(status.timestamp_validity)
    proof_time = timestamp.time if timestamp and timestamp.intact and timestamp.trusted else None
    _check_byte_range(status, findings)
    # §5.2.7 cryptographic verification: the digest of the signed bytes, then the value.
    if not status.intact:
        findings.add(FAILED, "HASH_FAILURE", "digest_mismatch", "the signed bytes were changed")
    elif not status.valid:
        findings.add(
            FAILED, "SIG_CRYPTO_FAILURE", "bad_signature_value", "the signature value is wrong"
        )
    now_details = status.revocation_details
    status = await _at_best_signature_time(signature, status, proof_time, context)
    missing_revinfo = await _only_revocation_data_missing(signature, status, context)
    revocation = _judge_certificate(status, proof_time, missing_revinfo, findings)
    details = status.revocation_details or now_details
    if timestamp is not None and proof_time is None:
        # §5.5.4: a time stamp that fails is no proof of existence.
        state = (timestamp.problem or "untrusted") if timestamp.intact else "broken"
        findings.add(
            INDETERMINATE, "NO_POE", "timestamp_invalid", f"the signature time stamp is {state}"
        )
    coverage, level = _coverage(status, later_fields, findings)
    pades = _pades_level(status, proof_time, item.revision, document_timestamps, context.dss)
    claimed = status.signer_reported_dt
    indication, sub_indication, reasons = findings.verdict()
    return SignatureReport(
        field_name=item.field_name,
        signer_name=_common_name(status.signing_cert),
        role=context.roles.get(item.field_name),
        stated_reason=_stated_reason(signature),
        certificate_serial=format(status.signing_cert.serial_number, "x"),
        claimed_signing_time=claimed,
        timestamp=timestamp,
        chain=_chain_report(status, missing_revinfo),
        revocation=revocation,
        revoked_at=details.revocation_date if details is not None else None,
        pades_level=pades,
        coverage=coverage,
        modification_level=level,
        revision=item.revision,
        indication=indication,
        sub_indication=sub_indication,
        reasons=reasons,
    )


async def _validate(
    signature: EmbeddedPdfSignature,
    context: _Context,
    *,
    moment: datetime | None = None,
    revocation_mode: str = "require",
) -> PdfSignatureStatus:
    """Validate with pyHanko: integrity, chain, revocation, time stamp, difference analysis."""
    validation_context = context.validation_context(
        moment=moment, retroactive=moment is not None, revocation_mode=revocation_mode
    )
    try:
        return await async_validate_pdf_signature(signature, validation_context)
    finally:
        await _release(validation_context)


async def _release(validation_context: ValidationContext) -> None:
    """Release what the context holds (no-op offline, but the API asks for it)."""
    await validation_context.aclose()  # type: ignore[no-untyped-call]


async def _at_best_signature_time(
    signature: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    proof_time: datetime | None,
    context: _Context,
) -> PdfSignatureStatus:
    """Re-validate at the time stamp's time when only a later event (revocation, expiry)
    failed the chain: EN 319 102-1 §5.5.4 accepts a signature proven to exist before it."""
    problem = status.trust_problem_indic
    horizon = status.error_time_horizon
    if proof_time is None or problem not in _TIME_BOUND or horizon is None:
        return status
    if not (status.intact and status.valid) or proof_time >= horizon:
        return status
    earlier = await _validate(signature, context, moment=proof_time)
    return earlier if earlier.trusted else status


async def _only_revocation_data_missing(
    signature: EmbeddedPdfSignature, status: PdfSignatureStatus, context: _Context
) -> bool:
    """Tell whether the chain failed only for want of revocation data: it validates when
    missing data is forgiven. Then the answer is INDETERMINATE/TRY_LATER (§5.2.6)."""
    if status.trusted or not (status.intact and status.valid):
        return False
    if status.trust_problem_indic != AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE:
        return False
    lenient = await _validate(signature, context, revocation_mode="soft-fail")
    return lenient.trusted


def _judge_certificate(
    status: PdfSignatureStatus,
    proof_time: datetime | None,
    missing_revinfo: bool,
    findings: _Findings,
) -> Revocation:
    """Turn the chain and revocation outcome into §5.2.6 findings; return the revocation
    status at signing time."""
    if status.trusted:
        return "good"
    if not (status.intact and status.valid):
        return "unknown"
    details = status.revocation_details
    if details is not None:
        claimed = status.signer_reported_dt
        # A trusted time stamp, or the signer's own claim, dates the signature after the
        # revocation: that is proof, and the verdict is final (TOTAL-FAILED/REVOKED).
        if any(
            when is not None and details.revocation_date <= when for when in (proof_time, claimed)
        ):
            whose = "an issuing CA's" if details.ca_revoked else "the signer's"
            findings.add(
                FAILED,
                "REVOKED",
                "revoked",
                f"{whose} certificate was revoked at {details.revocation_date.isoformat()}, "
                "before the signature was made",
            )
            return "revoked"
    problem = status.trust_problem_indic
    name = problem.standard_name if problem is not None else "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    if missing_revinfo:
        name = "TRY_LATER"
    findings.add(INDETERMINATE, name, "untrusted_certificate", _CHAIN_PROBLEMS.get(name, name))
    return "unknown"


_CHAIN_PROBLEMS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "the certificate does not chain to a trusted root",
    "REVOKED_NO_POE": "the certificate is revoked and nothing proves the signature is older",
    "REVOKED_CA_NO_POE": "an issuing CA is revoked and nothing proves the signature is older",
    "OUT_OF_BOUNDS_NO_POE": "the certificate is expired or not yet valid",
    "TRY_LATER": "no revocation information for the chain: retry with current CRLs",
    "CHAIN_CONSTRAINTS_FAILURE": "the certificate chain breaks a constraint (usage, path)",
}


def _check_byte_range(info: ModificationInfo, findings: _Findings) -> None:
    """§5.2.2 format checking: the /ByteRange must run from the first byte to the end of
    the signed revision, its only gap being the /Contents string (ISO 32000-2 §12.8.1)."""
    if info.coverage not in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    ):
        findings.add(
            FAILED,
            "FORMAT_FAILURE",
            "byte_range",
            "the /ByteRange does not cover the whole revision it signs",
        )


def _coverage(
    info: ModificationInfo, later_fields: frozenset[str], findings: _Findings
) -> tuple[Coverage, str | None]:
    """Classify what follows the signed revision (pyHanko's difference analysis).

    Allowed after a signature: validation data and document time stamps (LTA updates), and
    the filling-in of signature fields that later signatures sign. Annotations, new content
    and any other change are not: they alter what the signer saw.
    """
    level = info.modification_level
    name = level.name if level is not None else None
    if info.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire_file", name
    if info.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return "followed_by_disallowed_changes", name  # see _check_byte_range
    diff = info.diff_result
    allowed = level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES) or (
        level == ModificationLevel.FORM_FILLING
        and isinstance(diff, DiffResult)
        and diff.changed_form_fields <= later_fields
    )
    if allowed and info.docmdp_ok is not False:
        return "followed_by_allowed_changes", name
    detail = str(diff) if diff is not None and not isinstance(diff, DiffResult) else name
    findings.add(
        FAILED,
        "FORMAT_FAILURE",
        "modified_after_signing",
        f"a later revision changes the document ({detail})",
    )
    return "followed_by_disallowed_changes", name


def _pades_level(
    status: PdfSignatureStatus,
    proof_time: datetime | None,
    revision: int | None,
    document_timestamps: Sequence[DocumentTimestampReport],
    dss: DocumentSecurityStore | None,
) -> PadesLevel | None:
    """Return the PAdES baseline level reached (EN 319 142-1 §6.3), or None if not B-B."""
    if not (status.intact and status.valid):
        return None
    if proof_time is None:
        return "B-B"
    path = status.validation_path
    if dss is None or path is None or not status.trusted or not _dss_holds(dss, path):
        return "B-T"
    for stamp in document_timestamps:
        if stamp.indication == PASSED and (stamp.revision or 0) > (revision or 0):
            return "B-LTA"
    return "B-LT"


def _dss_holds(dss: DocumentSecurityStore, path: ValidationPath) -> bool:
    """Tell whether the DSS holds a CRL or OCSP response for every certificate below the
    trust anchor: the validation data B-LT requires."""
    crl_issuers = set()
    ocsp_serials = set()
    try:
        for ref in dss.crls:
            crl = asn1_crl.CertificateList.load(ref.get_object().data)
            crl_issuers.add(crl["tbs_cert_list"]["issuer"].hashable)
        for ref in dss.ocsps:
            response = asn1_ocsp.OCSPResponse.load(ref.get_object().data)
            for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
                ocsp_serials.add(single["cert_id"]["serial_number"].native)
    except _MALFORMED:
        return False
    return all(
        cert.issuer.hashable in crl_issuers or cert.serial_number in ocsp_serials
        for cert in path.iter_certs(include_root=False)
    )


def _timestamp_report(status: TimestampSignatureStatus | None) -> TimestampReport | None:
    if status is None:
        return None
    problem = status.trust_problem_indic
    return TimestampReport(
        time=status.timestamp,
        authority=_common_name(status.signing_cert) or "",
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        problem=problem.standard_name if problem is not None else None,
    )


def _chain_report(status: PdfSignatureStatus, missing_revinfo: bool) -> ChainReport:
    path = status.validation_path
    names = (
        tuple(_common_name(cert) or "?" for cert in reversed(list(path.iter_certs(True))))
        if path is not None
        else ()
    )
    if status.trusted:
        return ChainReport(True, names, f"chains to {names[-1] if names else '?'}")
    problem = status.trust_problem_indic
    reason = problem.standard_name if problem is not None else "not checked"
    if missing_revinfo:
        reason = "TRY_LATER"
    return ChainReport(False, names, f"{reason}: {_CHAIN_PROBLEMS.get(reason, reason)}")


def _unreadable_signature(
    item: _Embedded, role: str | None, findings: _Findings
) -> SignatureReport:
    """Report a signature that could not be validated at all, with what can still be read."""
    name = serial = None
    if item.signature is not None:
        try:
            cert = item.signature.signer_cert
            name, serial = _common_name(cert), format(cert.serial_number, "x")
        except _MALFORMED:
            name = serial = None
    indication, sub_indication, reasons = findings.verdict()
    return SignatureReport(
        field_name=item.field_name,
        signer_name=name,
        role=role,
        stated_reason=_stated_reason(item.signature) if item.signature else None,
        certificate_serial=serial,
        claimed_signing_time=None,
        timestamp=None,
        chain=None,
        revocation="unknown",
        revoked_at=None,
        pades_level=None,
        coverage="followed_by_disallowed_changes",
        modification_level=None,
        revision=item.revision,
        indication=indication,
        sub_indication=sub_indication,
        reasons=reasons,
    )


def _common_name(cert: asn1_x509.Certificate) -> str | None:
    value = cert.subject.native.get("common_name")
    return str(value) if value is not None else None


def _stated_reason(signature: EmbeddedPdfSignature) -> str | None:
    try:
        reason = signature.sig_object.get("/Reason")
    except _MALFORMED:
        return None
    return str(reason) if reason is not None else None


# --- Document time stamps ---------------------------------------------------------------


async def _check_document_timestamp(
    item: _Embedded, later_fields: frozenset[str], context: _Context
) -> DocumentTimestampReport:
    """Validate a /DocTimeStamp (RFC 3161 over the revision) and what follows it."""
    findings = _Findings()
    if item.signature is None:
        findings.add(FAILED, "FORMAT_FAILURE", "malformed_timestamp", item.problem or "")
    else:
        validation_context = context.validation_context()
        try:
            status = await async_validate_pdf_timestamp(item.signature, validation_context)
            return _judge_document_timestamp(item, status, later_fields)
        except SignatureValidationError as exc:
            sub = exc.ades_subindication
            indication = FAILED if sub.status.name == "FAILED" else INDETERMINATE
            findings.add(indication, sub.standard_name, "invalid_timestamp", exc.failure_message)
        except _MALFORMED as exc:
            findings.add(FAILED, "FORMAT_FAILURE", "malformed_timestamp", str(exc))
        finally:
            await _release(validation_context)
    indication, sub_indication, reasons = findings.verdict()
    return DocumentTimestampReport(
        item.field_name, None, "followed_by_disallowed_changes", None, item.revision,
        indication, sub_indication, reasons,
    )  # fmt: skip


def _judge_document_timestamp(
    item: _Embedded, status: DocumentTimestampStatus, later_fields: frozenset[str]
) -> DocumentTimestampReport:
    """Judge the token like a signature (§5.2.7, §5.2.6), then what follows it."""
    findings = _Findings()
    _check_byte_range(status, findings)
    if not status.intact:
        findings.add(FAILED, "HASH_FAILURE", "digest_mismatch", "the stamped bytes were changed")
    elif not status.valid:
        findings.add(FAILED, "SIG_CRYPTO_FAILURE", "bad_signature_value", "bad TSA signature")
    elif not status.trusted:
        problem = status.trust_problem_indic
        name = problem.standard_name if problem is not None else "NO_CERTIFICATE_CHAIN_FOUND"
        findings.add(INDETERMINATE, name, "untrusted_tsa", _CHAIN_PROBLEMS.get(name, name))
    coverage, level = _coverage(status, later_fields, findings)
    indication, sub_indication, reasons = findings.verdict()
    return DocumentTimestampReport(
        item.field_name, _timestamp_report(status), coverage, level, item.revision,
        indication, sub_indication, reasons,
    )  # fmt: skip


# --- The court's registry and evidence log -------------------------------------------


def _check_registry(
    digest: str, registry: RegistryEvidence | None, findings: _Findings
) -> tuple[bool | None, bool | None]:
    """Compare the file's hash with the issued one and check the log's inclusion proof."""
    if registry is None:
        return None, None
    issued = registry.issued_sha256.strip().lower()
    if not _HEX_SHA256.fullmatch(issued):
        findings.add(
            INDETERMINATE, "GENERIC", "bad_issued_hash", "the issued hash is not 64 hex digits"
        )
        return False, None
    if not registry.has_log_proof:
        return digest == issued, None
    try:
        _check_log_proof(registry, issued)
    except EvidenceError as exc:
        findings.add(INDETERMINATE, "GENERIC", "log_proof_invalid", str(exc))
        return digest == issued, False
    return digest == issued, True


def _check_log_proof(registry: RegistryEvidence, issued: str) -> None:
    """Open the checkpoint with the log key (C2SP signed note), check the record's inclusion
    (RFC 9162 §2.1.3.2) and that the record names the issued hash; raise EvidenceError."""
    checkpoint, key = registry.checkpoint, registry.log_key
    record, index = registry.record, registry.leaf_index
    if checkpoint is None or key is None or record is None or index is None:
        raise ProofError("proof_incomplete", "need checkpoint, log key, record and leaf index")
    head = open_checkpoint(checkpoint, key)
    verify_inclusion(
        leaf_hash(record), index, head.tree_size, registry.inclusion_proof, head.root_hash
    )
    if not _record_names(record, issued):
        raise ProofError("record_mismatch", "the logged record does not name the issued hash")


def _record_names(record: bytes, issued: str) -> bool:
    """Tell whether a logged record (a JSON object) holds the issued hash as a value."""
    try:
        value = json.loads(record)
    except ValueError:
        return False
    return isinstance(value, dict) and any(
        isinstance(item, str) and item.lower() == issued for item in value.values()
    )


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``documents.verify_cli``); return the exit status."""
    from documents.verify_cli import run

    return run(argv)


if __name__ == "__main__":
    raise SystemExit(main())
