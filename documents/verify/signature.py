"""Judging one signature or document time stamp (ETSI EN 319 102-1 indications)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    ModificationInfo,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    TimestampSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.path import ValidationPath

from documents.verify.context import _Context, _Embedded
from documents.verify.findings import _Findings
from documents.verify.reports import (
    _MALFORMED,
    _TIME_BOUND,
    FAILED,
    INDETERMINATE,
    PASSED,
    ChainReport,
    Coverage,
    DocumentTimestampReport,
    PadesLevel,
    Revocation,
    SignatureReport,
    TimestampReport,
)

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
    coverage, level = _coverage(
        status, later_fields, context.problem_after(item.revision), findings
    )
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
        await _release(validation_context, context)


async def _release(validation_context: ValidationContext, context: _Context) -> None:
    """Release what a context of its own holds (no-op offline, but the API asks for it);
    the shared one is released when the whole verification ends."""
    if not context.is_shared(validation_context):
        await release(validation_context)


async def release(validation_context: ValidationContext) -> None:
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
    info: ModificationInfo,
    later_fields: frozenset[str],
    update_problem: str | None,
    findings: _Findings,
) -> tuple[Coverage, str | None]:
    """Classify what follows the signed revision: pyHanko's difference analysis, and
    ``updates``' stricter rule for what follows the last signature (``update_problem``).

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
    if update_problem is not None:
        findings.add(
            FAILED,
            "FORMAT_FAILURE",
            "modified_after_signing",
            f"a later revision changes the document ({update_problem})",
        )
        return "followed_by_disallowed_changes", name
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
            return _judge_document_timestamp(
                item, status, later_fields, context.problem_after(item.revision)
            )
        except SignatureValidationError as exc:
            sub = exc.ades_subindication
            indication = FAILED if sub.status.name == "FAILED" else INDETERMINATE
            findings.add(indication, sub.standard_name, "invalid_timestamp", exc.failure_message)
        except _MALFORMED as exc:
            findings.add(FAILED, "FORMAT_FAILURE", "malformed_timestamp", str(exc))
        finally:
            await _release(validation_context, context)
    indication, sub_indication, reasons = findings.verdict()
    return DocumentTimestampReport(
        item.field_name, None, "followed_by_disallowed_changes", None, item.revision,
        indication, sub_indication, reasons,
    )  # fmt: skip


def _judge_document_timestamp(
    item: _Embedded,
    status: DocumentTimestampStatus,
    later_fields: frozenset[str],
    update_problem: str | None,
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
    coverage, level = _coverage(status, later_fields, update_problem, findings)
    indication, sub_indication, reasons = findings.verdict()
    return DocumentTimestampReport(
        item.field_name, _timestamp_report(status), coverage, level, item.revision,
        indication, sub_indication, reasons,
    )  # fmt: skip
