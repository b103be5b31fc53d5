"""Whether a file is byte for byte what the court issued, with the log's proof."""

from __future__ import annotations

import json

from documents.verify.findings import _Findings
from documents.verify.reports import (
    _HEX_SHA256,
    INDETERMINATE,
    RegistryEvidence,
)
from signing.evidence.errors import EvidenceError, ProofError
from signing.evidence.merkle import leaf_hash, verify_inclusion
from signing.evidence.note import open_checkpoint

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
