"""The command line of ``python -m documents.verify``: verify a court PDF, print a report.

Exit status: 0 only when the document passed (TOTAL-PASSED), 1 when it did not, 2 when the
command was used wrongly (missing or unreadable arguments).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from cryptography import x509

from documents.verify import (
    DocumentTimestampReport,
    ExpectedSigner,
    RegistryEvidence,
    SignatureReport,
    TimestampReport,
    VerificationReport,
    verify_pdf,
)
from signing.evidence.errors import ReceiptError
from signing.evidence.receipt import load_receipt

EXIT_PASSED, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """The command line cannot be acted on."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m documents.verify",
        description="验证法院电子文书 (verify a court PDF: signatures, time stamps, registry)",
    )
    parser.add_argument("file", type=Path, help="the PDF to verify")
    parser.add_argument(
        "--trust", type=Path, action="append", required=True, help="trusted root (PEM)"
    )
    parser.add_argument("--crl", type=Path, action="append", default=[], help="a CRL (DER)")
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="ROLE=FIELD[=NAME]",
        help="a signature the document must carry (and, with NAME, whose certificate signs it)",
    )
    parser.add_argument("--issued-sha256", help="SHA-256 the court recorded when issuing")
    parser.add_argument("--log-key", help="the evidence log's verifier key, or a file holding it")
    parser.add_argument("--receipt", type=Path, help="the log receipt (JSON) for the document")
    return parser


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Parse ``argv``, verify, print the report to ``out``; return the exit status."""
    out = out or sys.stdout
    # pyHanko logs each failed check with a traceback; the report already says it all.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        args = _parser().parse_args(argv)
        data = _read(args.file)
        roots = [_load_root(path) for path in args.trust]
        crls = [_read(path) for path in args.crl]
        expected = [_expected(text) for text in args.expect]
        registry = _registry(args.issued_sha256, args.log_key, args.receipt)
        report = verify_pdf(
            data, trust_roots=roots, crls=crls, expected_signers=expected, registry=registry
        )
    except (_UsageError, ValueError) as exc:
        print(f"用法错误 (usage error): {exc}", file=sys.stderr)
        return EXIT_USAGE
    print_report(report, out)
    return EXIT_PASSED if report.passed else EXIT_NOT_PASSED


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror}") from exc


def _load_root(path: Path) -> x509.Certificate:
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise _UsageError(f"{path} is not a certificate") from exc


def _expected(text: str) -> ExpectedSigner:
    role, sep, rest = text.partition("=")
    field_name, named, name = rest.partition("=")
    if not sep or not role or not field_name or (named and not name):
        raise _UsageError(f"--expect wants ROLE=FIELD or ROLE=FIELD=NAME, not {text!r}")
    return ExpectedSigner(role=role, field_name=field_name, name=name or None)


def _registry(
    issued: str | None, log_key: str | None, receipt_path: Path | None
) -> RegistryEvidence | None:
    if issued is None:
        if log_key is not None or receipt_path is not None:
            raise _UsageError("--log-key and --receipt need --issued-sha256")
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{64}", issued):
        raise _UsageError("--issued-sha256 wants 64 hex digits")
    if (log_key is None) != (receipt_path is None):
        raise _UsageError("--log-key and --receipt go together")
    if log_key is None or receipt_path is None:
        return RegistryEvidence(issued_sha256=issued)
    key_path = Path(log_key)
    if "+" not in log_key and key_path.is_file():
        log_key = _read(key_path).decode("utf-8").strip()
    try:
        receipt = load_receipt(_read(receipt_path).decode("utf-8"))
    except (ReceiptError, UnicodeDecodeError) as exc:
        raise _UsageError(f"{receipt_path} is not a receipt: {exc}") from exc
    return RegistryEvidence(
        issued_sha256=issued,
        checkpoint=receipt.checkpoint,
        log_key=log_key,
        record=receipt.record,
        leaf_index=receipt.leaf_index,
        inclusion_proof=receipt.inclusion_proof,
    )


# --- Printing ---------------------------------------------------------------------------


def print_report(report: VerificationReport, out: TextIO) -> None:
    """Print a short human report: the verdict first, then each signature and time stamp."""
    verdict = report.indication + (f" / {report.sub_indication}" if report.sub_indication else "")
    print(f"验证结论 (Result): {verdict}", file=out)
    print(
        f"文件 (File): SHA-256 {report.sha256}, {report.size} 字节 (bytes), "
        f"{report.revisions} 个修订版本 (revisions)",
        file=out,
    )
    print(f"签名 (Signatures): {len(report.signatures)}", file=out)
    for signature in report.signatures:
        _print_signature(signature, out)
    if report.timestamps:
        print(f"文档时间戳 (Document time stamps): {len(report.timestamps)}", file=out)
        for stamp in report.timestamps:
            _print_document_timestamp(stamp, out)
    if report.registry_match is not None:
        match = "一致 (matches)" if report.registry_match else "不一致 (does NOT match)"
        print(f"与法院登记比对 (Issued hash): {match}", file=out)
    if report.log_proof_ok is not None:
        proof = "有效 (valid)" if report.log_proof_ok else "无效 (INVALID)"
        print(f"存证日志证明 (Log proof): {proof}", file=out)
    if report.reasons:
        print("原因 (Reasons):", file=out)
        for reason in report.reasons:
            print(f"  - {reason}", file=out)


def _print_signature(signature: SignatureReport, out: TextIO) -> None:
    role = f" [{signature.role}]" if signature.role else ""
    print(
        f"  · {signature.field_name}{role}: {signature.signer_name or '?'} — "
        f"{signature.indication}"
        + (f" / {signature.sub_indication}" if signature.sub_indication else ""),
        file=out,
    )
    claimed = signature.claimed_signing_time.isoformat() if signature.claimed_signing_time else "-"
    print(f"      声称签署时间 (claimed time): {claimed}", file=out)
    print(f"      时间戳 (time stamp): {_describe_timestamp(signature.timestamp)}", file=out)
    if signature.chain is not None:
        trusted = "可信 (trusted)" if signature.chain.trusted else "不可信 (untrusted)"
        print(f"      证书链 (chain): {trusted}, {signature.chain.reason}", file=out)
    print(
        f"      证书序列号 (serial): {signature.certificate_serial or '-'}; "
        f"吊销状态 (revocation): {signature.revocation}; "
        f"PAdES: {signature.pades_level or '-'}",
        file=out,
    )
    print(f"      覆盖范围 (coverage): {signature.coverage}", file=out)


def _print_document_timestamp(stamp: DocumentTimestampReport, out: TextIO) -> None:
    print(
        f"  · {stamp.field_name}: {_describe_timestamp(stamp.timestamp)} — {stamp.indication}"
        + (f" / {stamp.sub_indication}" if stamp.sub_indication else ""),
        file=out,
    )


def _describe_timestamp(stamp: TimestampReport | None) -> str:
    if stamp is None:
        return "无 (none)"
    when = stamp.time.isoformat() if stamp.time else "?"
    state = "有效 (valid)" if stamp.intact and stamp.trusted else "无效 (NOT valid)"
    return f"{when} {stamp.authority} {state}"
