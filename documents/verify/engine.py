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

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

from documents import name_matching, pdf_strictness
from documents.pdf_parsing import install as install_fast_hex_strings
from documents.verify.appearances import (
    TextInAppearance,
    check_signature_widgets,
    signature_widgets_on,
)
from documents.verify.context import _Context, _Embedded
from documents.verify.findings import _Findings
from documents.verify.registry import _check_registry
from documents.verify.reports import (
    _EOL,
    _MALFORMED,
    _SIG_SUBFILTERS,
    FAILED,
    INDETERMINATE,
    PASSED,
    DocumentTimestampReport,
    ExpectedSigner,
    Reason,
    RegistryEvidence,
    SignatureReport,
    VerificationReport,
)
from documents.verify.signature import _check_document_timestamp, _check_signature, release
from documents.verify.updates import Disallowed, may_show, page_refs, problems_after
from signing.event_loop import run_coroutine

#: A court document has 7 revisions when sealed, and each long-term renewal (a DSS update and
#: a document time stamp, every few years) adds one or two. Far more is no court document,
#: and each revision costs every earlier signature a comparison: 1000 empty revisions took
#: a minute to verify, so a file with more than this is refused before any is compared.
MAX_REVISIONS = 40

install_fast_hex_strings()  # a quarter of each verification was reading /Contents byte by byte
name_matching.install()  # a fifth was preparing the same names for comparison, again and again
pdf_strictness.install()  # an object listed twice in one xref section: readers disagree

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
    return run_coroutine(_verify(data, context, tuple(expected_signers), registry))


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
        if revisions > MAX_REVISIONS:
            raise _TooManyRevisions(revisions)
        embedded = _embedded_signatures(reader)
        uncovered = _uncovered_bytes(data, reader)
    except _TooManyRevisions:
        findings.add(
            FAILED,
            "FORMAT_FAILURE",
            "too_many_revisions",
            f"{revisions} revisions: more than any court document has ({MAX_REVISIONS})",
        )
        embedded, uncovered = [], 0
    except _MALFORMED as exc:
        findings.add(FAILED, "FORMAT_FAILURE", "malformed_pdf", f"not a readable PDF: {exc}")
        revisions, embedded, uncovered = 0, [], 0
    else:
        signed = [e.revision for e in embedded if not e.is_timestamp and e.revision is not None]
        signing = {
            item.revision: getattr(item.signature.sig_field, "container_ref", None)
            for item in embedded
            if item.revision is not None and item.signature is not None
        }
        problems = problems_after(reader, signing, min(signed), max(signed), data) if signed else {}
        if signed and min(signed) in problems:
            # What the first signature's own revision did wrong follows no signature: it is
            # the document's (an eighth review rewrote the page there, and the signatures
            # after it, each compared from its own revision on, all passed).
            findings.add(
                FAILED, "FORMAT_FAILURE", "first_signature_changes_document", problems[min(signed)]
            )
        context = replace(context, dss=_read_dss(reader, findings), update_problems=problems)
        _boxes_placed_after_signing(reader, embedded, signed, findings)
        _no_text_in_signature_boxes(reader, findings)
    timestamps, signatures = await _judge_embedded(embedded, context)
    if revisions:
        _conclude_document(findings, signatures, timestamps, uncovered)
        _one_place_per_signer(embedded, findings)
    by_field = {report.field_name: report for report in signatures}
    missing = tuple(s.field_name for s in expected_signers if s.field_name not in by_field)
    for signer in expected_signers:
        report = by_field.get(signer.field_name)
        if signer.name is not None and report is not None and report.signer_name != signer.name:
            findings.add(
                FAILED,
                "SIG_CONSTRAINTS_FAILURE",
                "wrong_signer",
                f"{signer.field_name} ({signer.role}) was signed by {report.signer_name}, "
                f"not {signer.name}",
            )
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


async def _judge_embedded(
    embedded: Sequence[_Embedded], context: _Context
) -> tuple[list[DocumentTimestampReport], list[SignatureReport]]:
    """Judge every document time stamp, then every signature, with one shared context."""
    if not embedded:
        return [], []
    shared = context.validation_context()
    context = replace(context, shared=shared)
    try:
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
    finally:
        await release(shared)
    return timestamps, signatures


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


def _boxes_placed_after_signing(
    reader: PdfFileReader, embedded: Sequence[_Embedded], signed: list[int], findings: _Findings
) -> None:
    """Fail a person's signature in a visible field created after the first signature.

    The court places every signer's box when it issues a document; people sign in those
    boxes. pyHanko accepts a new visible signature field as form filling, so party B could
    create their own field over the amount party A signed, draw another amount in it, sign,
    and A's signature still passed (a third review). Only the court's seal (a certificate
    naming no person: no user id) may still place its own box after signing began; document
    time stamps have invisible fields."""
    if not signed:
        return
    first = min(signed)
    for item in embedded:
        if item.is_timestamp or item.signature is None:
            continue
        try:
            field = item.signature.sig_field
            ref = getattr(field, "container_ref", None)
            introduced = reader.xrefs.get_introducing_revision(ref) if ref is not None else None
            person = bool(item.signature.signer_cert.subject.native.get("user_id"))
            if introduced is None or introduced <= first or not person:
                continue
            widgets = [field, *(kid.get_object() for kid in field.get("/Kids", []))]
        except _MALFORMED:
            continue  # that signature fails for it already
        # The field's own /Rect, or its widgets' when they are /Kids (a sixth review); one
        # that cannot be read counts as visible (a seventh: an indirect number in it was
        # taken for no area by pyHanko while poppler drew the box).
        if any(may_show(widget) for widget in widgets):
            findings.add(
                FAILED,
                "FORMAT_FAILURE",
                "box_placed_after_signing",
                f"{item.field_name}: a signature box added after the first signature "
                "(people sign in the boxes the court placed)",
            )


def _no_text_in_signature_boxes(reader: PdfFileReader, findings: _Findings) -> None:
    """Fail a document whose signature boxes show text (``verify.appearances``: text an
    appearance draws outside its box is clipped on screen but extracted all the same)."""
    try:
        fields = [
            (str(name), field_ref.get_object())
            for name, _value, field_ref in enumerate_sig_fields(reader, filled_status=None)
        ]
        pages = [ref.get_object() for ref in page_refs(reader.root)]
        check_signature_widgets(fields + signature_widgets_on(pages))
    except (TextInAppearance, Disallowed) as exc:
        findings.add(FAILED, "FORMAT_FAILURE", "text_in_signature_box", str(exc))
    except _MALFORMED as exc:
        findings.add(
            FAILED, "FORMAT_FAILURE", "text_in_signature_box", f"unreadable appearance: {exc}"
        )


def _one_place_per_signer(embedded: Sequence[_Embedded], findings: _Findings) -> None:
    """Fail a document in which one signer (one certificate subject: the court issues each
    person's certificates under one name and account) signed two fields. No court document
    has one person sign twice (a party is never two parties, nor a mediator a party), and
    without this a litigant could fill every party's field of a document they made up, each
    signature valid, and the expected signers would all be "present"."""
    fields: dict[bytes, list[str]] = {}
    names: dict[bytes, str] = {}
    for item in embedded:
        if item.is_timestamp or item.signature is None:
            continue
        try:
            subject = item.signature.signer_cert.subject
            key = subject.dump()
            names[key] = str(subject.native.get("common_name", "?"))
        except _MALFORMED:
            continue  # that signature already failed for it
        fields.setdefault(key, []).append(item.field_name)
    for key, signed in fields.items():
        if len(signed) > 1:
            findings.add(
                FAILED,
                "SIG_CONSTRAINTS_FAILURE",
                "one_signer_in_two_places",
                f"{names[key]} signed {len(signed)} fields ({', '.join(signed)}); "
                "each signer signs one",
            )


# --- Reading the file -------------------------------------------------------------------


class _TooManyRevisions(Exception):
    """More revisions than ``MAX_REVISIONS``: refused before any comparison."""


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
