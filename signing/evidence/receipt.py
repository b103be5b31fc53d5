"""Prove offline that a record is in the evidence log: a signed checkpoint plus a path.

A receipt holds the logged record, its leaf index, a checkpoint signed by the log and the
RFC 9162 inclusion proof of the record's leaf in that checkpoint's tree. Anyone with the
log's verifier key can check it without asking the court.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from signing.evidence.errors import ReceiptError
from signing.evidence.merkle import leaf_hash, verify_inclusion
from signing.evidence.note import VerifierKey, decode_base64, open_checkpoint

_FIELDS = frozenset({"record", "leaf_index", "checkpoint", "inclusion_proof"})
#: Proofs are at most 64 hashes deep for a uint64 tree size.
_MAX_PROOF_LENGTH = 64


@dataclass(frozen=True)
class Receipt:
    """What the log hands back for a record, to be verified later and elsewhere."""

    #: The exact bytes that were logged; the leaf is SHA-256(0x00 || record).
    record: bytes
    #: Position of the leaf in the log.
    leaf_index: int
    #: The signed checkpoint note (c2sp.org/tlog-checkpoint) the proof leads to.
    checkpoint: str
    #: RFC 9162 §2.1.3.1 inclusion path, from the leaf up.
    inclusion_proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        """Return the receipt as JSON-ready values, bytes in standard base64."""
        return {
            "record": _b64(self.record),
            "leaf_index": self.leaf_index,
            "checkpoint": self.checkpoint,
            "inclusion_proof": [_b64(element) for element in self.inclusion_proof],
        }

    @classmethod
    def from_json(cls, data: object) -> Receipt:
        """Build a receipt from parsed JSON, refusing any other shape with ReceiptError."""
        if not isinstance(data, dict):
            raise ReceiptError("not_an_object", "a receipt is a JSON object")
        if set(data) != _FIELDS:
            missing, extra = sorted(_FIELDS - set(data)), sorted(set(data) - _FIELDS)
            raise ReceiptError("bad_fields", f"missing {missing}, unexpected {extra}")
        index = data["leaf_index"]
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ReceiptError("bad_leaf_index", "leaf_index is a non-negative integer")
        checkpoint = data["checkpoint"]
        if not isinstance(checkpoint, str):
            raise ReceiptError("bad_checkpoint", "checkpoint is the signed note text")
        proof = data["inclusion_proof"]
        if not isinstance(proof, list) or len(proof) > _MAX_PROOF_LENGTH:
            raise ReceiptError("bad_inclusion_proof", "inclusion_proof is a list of hashes")
        return cls(
            record=_unb64(data["record"], "record"),
            leaf_index=index,
            checkpoint=checkpoint,
            inclusion_proof=tuple(_unb64(element, "inclusion_proof") for element in proof),
        )


@dataclass(frozen=True)
class VerifiedReceipt:
    """The facts a valid receipt establishes: this leaf is in this signed tree head."""

    origin: str
    tree_size: int
    root_hash: bytes
    leaf_index: int
    leaf_hash: bytes


def load_receipt(text: str) -> Receipt:
    """Parse receipt JSON text, refusing duplicate keys and non-finite numbers."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except ValueError as exc:
        raise ReceiptError("bad_json", str(exc)) from exc
    return Receipt.from_json(data)


def verify_receipt(receipt: Receipt, vkey: str | VerifierKey) -> VerifiedReceipt:
    """Check the checkpoint's signature, then the record's inclusion in it.

    Raises NoteError when the checkpoint is not signed by ``vkey`` or is malformed, and
    ProofError when the record is not leaf ``leaf_index`` of that checkpoint's tree.
    """
    checkpoint = open_checkpoint(receipt.checkpoint, vkey)
    leaf = leaf_hash(receipt.record)
    verify_inclusion(
        leaf,
        receipt.leaf_index,
        checkpoint.tree_size,
        receipt.inclusion_proof,
        checkpoint.root_hash,
    )
    return VerifiedReceipt(
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        leaf_index=receipt.leaf_index,
        leaf_hash=leaf,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise ReceiptError(f"bad_{field}", f"{field} holds base64 strings")
    try:
        return decode_base64(value)
    except ValueError as exc:
        raise ReceiptError(f"bad_{field}", f"{field} is not canonical base64") from exc


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key in receipt JSON")
    return dict(pairs)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in receipt JSON")
