"""Verify an evidence-log receipt offline: ``python -m signing.evidence verify R.json --log-key K``.

Exits 0 and prints what the receipt proves when it is valid; exits 1 with the reason when it
is not (or cannot be read). KEY is the log's verifier key line, or a file holding it.
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Sequence
from pathlib import Path

from signing.evidence.errors import EvidenceError, NoteError, ReceiptError
from signing.evidence.receipt import VerifiedReceipt, load_receipt, verify_receipt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = _parser().parse_args(argv)
    try:
        verified = _verify(Path(args.receipt), args.log_key)
    except EvidenceError as exc:
        print(f"receipt INVALID: {exc}", file=sys.stderr)
        return 1
    print(_report(verified))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m signing.evidence", description="Check evidence-log receipts offline."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a receipt against the log's key")
    verify.add_argument("receipt", help="receipt JSON file")
    verify.add_argument(
        "--log-key", required=True, help="the log's verifier key, or a file holding it"
    )
    return parser


def _verify(receipt_path: Path, log_key: str) -> VerifiedReceipt:
    try:
        text = receipt_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReceiptError("unreadable", f"{receipt_path}: {exc}") from exc
    return verify_receipt(load_receipt(text), _read_vkey(log_key))


def _read_vkey(log_key: str) -> str:
    """Return the vkey itself, or the single non-empty line of the file it names."""
    path = Path(log_key)
    try:
        is_file = path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return log_key.strip()
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise NoteError("bad_verifier_key", f"{path}: {exc}") from exc
    keys = [line for line in lines if line]
    if len(keys) != 1:
        raise NoteError("bad_verifier_key", f"{path} must hold exactly one key line")
    return keys[0]


def _report(verified: VerifiedReceipt) -> str:
    root = base64.b64encode(verified.root_hash).decode("ascii")
    return "\n".join(
        [
            "receipt valid: the record is in the log",
            f"  log:        {verified.origin}",
            f"  tree size:  {verified.tree_size}",
            f"  root hash:  {root}",
            f"  leaf index: {verified.leaf_index}",
            # Base64 as the API and the checkpoint give hashes; hex as sha256sum does.
            f"  leaf hash:  {base64.b64encode(verified.leaf_hash).decode('ascii')}",
            f"              (hex {verified.leaf_hash.hex()})",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
