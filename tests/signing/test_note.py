"""Checkpoints as C2SP signed notes: the format, the round trip, and every refusal."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.evidence.errors import NoteError
from signing.evidence.note import (
    Checkpoint,
    VerifierKey,
    key_id,
    open_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
)

NAME = "court.example/evidence"
ROOT = hashlib.sha256(b"some tree").digest()
OTHER_ROOT = hashlib.sha256(b"another tree").digest()
EM_DASH = "\u2014"


def make_key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


LOG_KEY = make_key("log key")
OTHER_KEY = make_key("someone else's key")
VKEY = verifier_key(NAME, LOG_KEY.public_key())
CHECKPOINT = Checkpoint(NAME, 12, ROOT)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def signed(checkpoint: Checkpoint = CHECKPOINT) -> str:
    return sign_checkpoint(checkpoint, NAME, LOG_KEY)


def refused(note: str, reason: str, vkey: str = VKEY) -> None:
    with pytest.raises(NoteError) as caught:
        open_checkpoint(note, vkey)
    assert caught.value.reason == reason
    assert caught.value.code == "log_checkpoint_invalid"


# --- Format and round trip -----------------------------------------------------------------


def test_round_trip() -> None:
    assert open_checkpoint(signed(), VKEY) == CHECKPOINT
    assert open_checkpoint(signed(), parse_verifier_key(VKEY), origin=NAME) == CHECKPOINT


def test_round_trip_with_extension_lines() -> None:
    checkpoint = Checkpoint(NAME, 0, ROOT, extensions=("time 1700000000", "note two"))
    assert open_checkpoint(signed(checkpoint), VKEY) == checkpoint


def test_note_layout_follows_tlog_checkpoint() -> None:
    text, signatures = signed().split("\n\n")
    assert f"{text}\n" == f"{NAME}\n12\n{b64(ROOT)}\n" == CHECKPOINT.body().decode()
    assert signatures.count("\n") == 1
    assert signatures.endswith("\n")
    prefix, name, encoded = signatures[:-1].split(" ")
    assert prefix.encode() == b"\xe2\x80\x94"
    assert name == NAME
    raw = base64.b64decode(encoded)
    assert raw[:4] == key_id(NAME, LOG_KEY.public_key())
    LOG_KEY.public_key().verify(raw[4:], CHECKPOINT.body())


def test_key_id_and_vkey_follow_signed_note() -> None:
    public = LOG_KEY.public_key().public_bytes_raw()
    expected_id = hashlib.sha256(NAME.encode() + b"\n\x01" + public).digest()[:4]
    assert key_id(NAME, LOG_KEY.public_key()) == expected_id
    encoded_key = b64(b"\x01" + public)
    assert f"{NAME}+{expected_id.hex()}+{encoded_key}" == VKEY
    parsed = parse_verifier_key(VKEY)
    assert (parsed.name, parsed.key_id) == (NAME, expected_id)


def test_interoperates_with_go_sumdb_note() -> None:
    """The example key and note of golang.org/x/mod/sumdb/note's documentation."""
    seed = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    assert verifier_key("PeterNeumann", key.public_key()) == (
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    )
    signature = (
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
        "fqdngotpRZb6KE6RyyBwJnAM="
    )
    assert sign_note(text, "PeterNeumann", key) == f"{text}\n{EM_DASH} PeterNeumann {signature}\n"


def test_signatures_by_unknown_keys_are_ignored() -> None:
    cosigned = (
        signed()
        + sign_note(CHECKPOINT.body().decode(), "witness.example", OTHER_KEY).split("\n\n")[1]
    )
    assert open_checkpoint(cosigned, VKEY) == CHECKPOINT


# --- Refusals: signatures --------------------------------------------------------------------


def test_wrong_key_is_refused() -> None:
    refused(sign_checkpoint(CHECKPOINT, NAME, OTHER_KEY), "no_signature_by_key")


def test_signature_under_another_key_name_is_refused() -> None:
    refused(sign_checkpoint(CHECKPOINT, "court.example/other", LOG_KEY), "no_signature_by_key")


def test_altered_size_is_refused() -> None:
    refused(signed().replace("\n12\n", "\n13\n", 1), "bad_signature")


def test_altered_root_is_refused() -> None:
    refused(signed().replace(b64(ROOT), b64(OTHER_ROOT), 1), "bad_signature")


def test_forged_signature_with_the_right_key_id_is_refused() -> None:
    forged = b64(key_id(NAME, LOG_KEY.public_key()) + bytes(64))
    note = f"{CHECKPOINT.body().decode()}\n{EM_DASH} {NAME} {forged}\n"
    refused(note, "bad_signature")


def test_a_bad_second_signature_by_the_log_key_spoils_the_note() -> None:
    forged = b64(key_id(NAME, LOG_KEY.public_key()) + bytes(64))
    refused(f"{signed()}{EM_DASH} {NAME} {forged}\n", "bad_signature")


def test_origin_must_match_when_asked() -> None:
    with pytest.raises(NoteError) as caught:
        open_checkpoint(signed(), VKEY, origin="court.example/other")
    assert caught.value.reason == "origin_mismatch"


# --- Refusals: note syntax ---------------------------------------------------------------


def test_missing_trailing_newline_is_refused() -> None:
    refused(signed()[:-1], "missing_trailing_newline")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda line: line.replace(f"{EM_DASH} ", "-- "),  # ASCII look-alike of the em dash
        lambda line: line[:-2] + "!=",  # not base64
        lambda line: line[:-1],  # padding removed
        lambda line: line + " extra",  # junk after the signature
        lambda line: line.replace(f" {NAME} ", f" {NAME}  "),  # two spaces
        lambda line: line.rsplit(" ", 1)[0] + " " + b64(b"abcd"),  # key id without signature
    ],
)
def test_malformed_signature_lines_are_refused(spoil) -> None:
    body, line = signed()[:-1].rsplit("\n", 1)
    refused(f"{body}\n{spoil(line)}\n", "malformed_signature_line")


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (signed() + "junk\n", "malformed_signature_line"),
        (signed() + "junk", "missing_trailing_newline"),
        (signed() + "\n", "missing_signatures"),
        (CHECKPOINT.body().decode(), "missing_signatures"),
        (signed().replace("\n12\n", "\n12\r\n"), "control_character"),
        ("x" * 70_000 + "\n", "malformed_note"),
    ],
)
def test_extra_or_missing_parts_are_refused(note: str, reason: str) -> None:
    refused(note, reason)


# --- Refusals: a signed but malformed body ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"{NAME}\n12a\n{b64(ROOT)}\n", "bad_tree_size"),
        (f"{NAME}\n012\n{b64(ROOT)}\n", "bad_tree_size"),
        (f"{NAME}\n-1\n{b64(ROOT)}\n", "bad_tree_size"),
        (f"{NAME}\n\uff11\uff12\n{b64(ROOT)}\n", "bad_tree_size"),  # full-width digits
        (f"{NAME}\n 12\n{b64(ROOT)}\n", "bad_tree_size"),
        (f"{NAME}\n{2**64}\n{b64(ROOT)}\n", "bad_tree_size"),
        (f"{NAME}\n{'9' * 5000}\n{b64(ROOT)}\n", "bad_tree_size"),
        (f"{NAME}\n12\n{b64(ROOT)[:-1]}\n", "bad_root_hash"),  # malformed base64
        (f"{NAME}\n12\n{b64(ROOT).replace('=', '')}\n", "bad_root_hash"),
        (f"{NAME}\n12\n{b64(ROOT[:31])}\n", "bad_root_hash"),  # 31 bytes
        (f"{NAME}\n12\n{b64(ROOT + b'x')}\n", "bad_root_hash"),  # 33 bytes
        (f"{NAME}\n12\n", "malformed_body"),
    ],
)
def test_signed_malformed_bodies_are_refused(body: str, reason: str) -> None:
    refused(sign_note(body, NAME, LOG_KEY), reason)


def test_signed_body_with_an_empty_extension_line_is_refused() -> None:
    body = f"{NAME}\n12\n{b64(ROOT)}\n\next\n".encode()
    line = f"{EM_DASH} {NAME} {b64(key_id(NAME, LOG_KEY.public_key()) + LOG_KEY.sign(body))}\n"
    refused(f"{body.decode()}\n{line}", "malformed_body")


# --- Keys and checkpoints ------------------------------------------------------------------


@pytest.mark.parametrize(
    "vkey",
    [
        VKEY.replace(VKEY.split("+")[1], "00000000"),  # key id of another key
        VKEY.rsplit("+", 1)[0] + "+" + b64(b"\x01" + OTHER_KEY.public_key().public_bytes_raw()),
        VKEY.rsplit("+", 1)[0] + "+" + b64(b"\x02" + LOG_KEY.public_key().public_bytes_raw()),
        VKEY + "+extra",
        "court example+" + VKEY.split("+", 1)[1],  # space in the name
        VKEY[:-1],
    ],
)
def test_bad_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError) as caught:
        open_checkpoint(signed(), vkey)
    assert caught.value.reason == "bad_verifier_key"


@pytest.mark.parametrize(
    "fields",
    [
        {"origin": "", "tree_size": 1, "root_hash": ROOT},
        {"origin": "a\nb", "tree_size": 1, "root_hash": ROOT},
        {"origin": NAME, "tree_size": -1, "root_hash": ROOT},
        {"origin": NAME, "tree_size": 1, "root_hash": ROOT[:31]},
        {"origin": NAME, "tree_size": 1, "root_hash": ROOT, "extensions": ("",)},
    ],
)
def test_malformed_checkpoints_cannot_be_built(fields: dict) -> None:
    with pytest.raises(NoteError):
        Checkpoint(**fields)


def test_verifier_key_object_equals_its_parse() -> None:
    parsed = parse_verifier_key(VKEY)
    assert parsed == VerifierKey(NAME, key_id(NAME, LOG_KEY.public_key()), parsed.public_key)
