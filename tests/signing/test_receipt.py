"""Receipts: a record, its leaf index, a signed checkpoint and a path that verify offline."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.evidence.errors import NoteError, ProofError, ReceiptError
from signing.evidence.merkle import inclusion_proof, leaf_hash, root_from_leaf_hashes
from signing.evidence.note import Checkpoint, sign_checkpoint, verifier_key
from signing.evidence.receipt import Receipt, load_receipt, verify_receipt

PROJECT = Path(__file__).resolve().parents[2]
NAME = "court.example/evidence"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"log key").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"other key").digest())
VKEY = verifier_key(NAME, LOG_KEY.public_key())
RECORDS = [f'{{"event": "submission", "n": {i}}}'.encode() for i in range(11)]
HASHES = [leaf_hash(record) for record in RECORDS]
INDEX = 6


def checkpoint_note(size: int = len(RECORDS), key: Ed25519PrivateKey = LOG_KEY) -> str:
    checkpoint = Checkpoint(NAME, size, root_from_leaf_hashes(HASHES[:size]))
    return sign_checkpoint(checkpoint, NAME, key)


def make_receipt(index: int = INDEX) -> Receipt:
    return Receipt(
        record=RECORDS[index],
        leaf_index=index,
        checkpoint=checkpoint_note(),
        inclusion_proof=tuple(inclusion_proof(HASHES, index)),
    )


RECEIPT = make_receipt()


def test_valid_receipt_verifies_and_says_what_it_proves() -> None:
    verified = verify_receipt(RECEIPT, VKEY)
    assert verified.origin == NAME
    assert verified.tree_size == len(RECORDS)
    assert verified.root_hash == root_from_leaf_hashes(HASHES)
    assert verified.leaf_index == INDEX
    assert verified.leaf_hash == HASHES[INDEX]


def test_json_round_trip() -> None:
    data = RECEIPT.to_json()
    assert set(data) == {"record", "leaf_index", "checkpoint", "inclusion_proof"}
    assert data["record"] == base64.b64encode(RECORDS[INDEX]).decode()
    assert load_receipt(json.dumps(data)) == RECEIPT
    assert Receipt.from_json(data) == RECEIPT


# --- Tampered twins --------------------------------------------------------------------------


def test_changed_record_fails() -> None:
    twin = dataclasses.replace(RECEIPT, record=RECORDS[INDEX] + b" ")
    with pytest.raises(ProofError) as caught:
        verify_receipt(twin, VKEY)
    assert caught.value.reason == "root_mismatch"


def test_changed_index_fails() -> None:
    for index in (INDEX - 1, INDEX + 1, len(RECORDS)):
        with pytest.raises(ProofError):
            verify_receipt(dataclasses.replace(RECEIPT, leaf_index=index), VKEY)


def test_changed_proof_element_fails() -> None:
    proof = list(RECEIPT.inclusion_proof)
    proof[1] = bytes([proof[1][0] ^ 1]) + proof[1][1:]
    with pytest.raises(ProofError):
        verify_receipt(dataclasses.replace(RECEIPT, inclusion_proof=tuple(proof)), VKEY)


def test_checkpoint_signed_by_another_key_fails() -> None:
    twin = dataclasses.replace(RECEIPT, checkpoint=checkpoint_note(key=OTHER_KEY))
    with pytest.raises(NoteError) as caught:
        verify_receipt(twin, VKEY)
    assert caught.value.reason == "no_signature_by_key"


def test_genuine_checkpoint_of_another_tree_fails() -> None:
    twin = dataclasses.replace(RECEIPT, checkpoint=checkpoint_note(size=len(RECORDS) - 1))
    with pytest.raises(ProofError):
        verify_receipt(twin, VKEY)


def test_receipt_for_another_record_fails() -> None:
    twin = dataclasses.replace(RECEIPT, inclusion_proof=make_receipt(INDEX + 1).inclusion_proof)
    with pytest.raises(ProofError):
        verify_receipt(twin, VKEY)


# --- Malformed JSON ------------------------------------------------------------------------


def _with(**changes: object) -> dict[str, object]:
    return {**RECEIPT.to_json(), **changes}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "not_an_object"),
        ({k: v for k, v in RECEIPT.to_json().items() if k != "record"}, "bad_fields"),
        (_with(extra=1), "bad_fields"),
        (_with(leaf_index="6"), "bad_leaf_index"),
        (_with(leaf_index=True), "bad_leaf_index"),
        (_with(leaf_index=-1), "bad_leaf_index"),
        (_with(leaf_index=6.0), "bad_leaf_index"),
        (_with(checkpoint=None), "bad_checkpoint"),
        (_with(record="not base64!"), "bad_record"),
        (_with(record=b"raw bytes"), "bad_record"),
        (_with(inclusion_proof="AAAA"), "bad_inclusion_proof"),
        (_with(inclusion_proof=["AAA"]), "bad_inclusion_proof"),
        (_with(inclusion_proof=[3]), "bad_inclusion_proof"),
    ],
)
def test_malformed_receipts_are_refused(data: object, reason: str) -> None:
    with pytest.raises(ReceiptError) as caught:
        Receipt.from_json(data)
    assert caught.value.reason == reason
    assert caught.value.code == "log_receipt_malformed"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"leaf_index": 1, "leaf_index": 2}',
        json.dumps(RECEIPT.to_json())[:-1] + ', "leaf_index": NaN}',
    ],
)
def test_unparsable_receipt_text_is_refused(text: str) -> None:
    with pytest.raises(ReceiptError) as caught:
        load_receipt(text)
    assert caught.value.reason == "bad_json"


# --- The command ----------------------------------------------------------------------------


def run_verify(receipt: Receipt, tmp_path: Path, log_key: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt.to_json()), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "signing.evidence", "verify", str(path), "--log-key", log_key],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_command_accepts_a_valid_receipt(tmp_path: Path) -> None:
    key_file = tmp_path / "log.vkey"
    key_file.write_text(VKEY + "\n", encoding="utf-8")
    for log_key in (str(key_file), VKEY):
        result = run_verify(RECEIPT, tmp_path, log_key)
        assert result.returncode == 0, result.stderr
        assert "receipt valid" in result.stdout
        assert NAME in result.stdout
        # The leaf hash as the API gives it (base64), and in hex.
        assert f"leaf hash:  {base64.b64encode(HASHES[INDEX]).decode()}" in result.stdout
        assert HASHES[INDEX].hex() in result.stdout


def test_command_refuses_a_tampered_receipt(tmp_path: Path) -> None:
    twin = dataclasses.replace(RECEIPT, record=b"something else")
    result = run_verify(twin, tmp_path, VKEY)
    assert result.returncode == 1
    assert "INVALID" in result.stderr
    assert "log_proof_invalid: root_mismatch" in result.stderr
    assert "receipt valid" not in result.stdout


def test_command_refuses_the_wrong_log_key(tmp_path: Path) -> None:
    result = run_verify(RECEIPT, tmp_path, verifier_key(NAME, OTHER_KEY.public_key()))
    assert result.returncode == 1
    assert "no_signature_by_key" in result.stderr
