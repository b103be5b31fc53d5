"""Sign and open log checkpoints as C2SP signed notes (c2sp.org/signed-note, tlog-checkpoint).

A checkpoint note is the body (origin, decimal tree size, base64 root hash, optional
extension lines, each ending in a newline), one blank line, then signature lines
``— <key name> <base64(4-byte key id || Ed25519 signature)>``. The signature covers the
body including its final newline. Opening a note fails closed with ``NoteError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing.evidence.errors import NoteError
from signing.evidence.merkle import HASH_SIZE

#: c2sp.org/signed-note: signature lines start with U+2014 EM DASH and a space.
SIGNATURE_PREFIX = "\u2014 "
#: c2sp.org/signed-note signature type byte for Ed25519.
ED25519_TYPE = b"\x01"
#: Go's note.Open refuses more than 100 signatures; the spec requires accepting 16.
MAX_SIGNATURES = 100
#: A checkpoint is a few hundred bytes; anything near this is not one.
MAX_NOTE_SIZE = 64 * 1024
_KEY_ID_SIZE = 4
_ED25519_SIGNATURE_SIZE = 64
_ED25519_KEY_SIZE = 32
#: c2sp.org/tlog-checkpoint: ASCII decimal, no leading zeroes unless the tree is empty.
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_MAX_UINT64 = 2**64 - 1
_MAX_SIZE_DIGITS = len(str(_MAX_UINT64))


@dataclass(frozen=True)
class Checkpoint:
    """A log's Merkle tree head at a size, as the note body of c2sp.org/tlog-checkpoint."""

    #: Unique identity of the log, e.g. ``court.example/evidence``.
    origin: str
    #: Number of leaves in the tree.
    tree_size: int
    #: RFC 9162 MTH of those leaves (32 bytes).
    root_hash: bytes
    #: Opaque, non-empty extra lines (NOT RECOMMENDED by the spec; kept for completeness).
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        for extension in self.extensions:
            _check_line("extension line", extension)
        size = self.tree_size
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_UINT64:
            raise NoteError("bad_tree_size", "tree size must be an integer in [0, 2**64)")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise NoteError("bad_root_hash", f"root hash must be {HASH_SIZE} bytes")

    def body(self) -> bytes:
        """Return the note text the log signs, every line ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.tree_size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines).encode("utf-8")


@dataclass(frozen=True)
class VerifierKey:
    """An Ed25519 note verifier key: who signs, under which key id, with which public key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """Return SHA-256(key name || 0x0A || 0x01 || public key)[:4] (c2sp.org/signed-note)."""
    raw = public_key.public_bytes_raw()
    digest = hashlib.sha256(key_name.encode("utf-8") + b"\n" + ED25519_TYPE + raw).digest()
    return digest[:_KEY_ID_SIZE]


def verifier_key(key_name: str, public_key: Ed25519PublicKey) -> str:
    """Return the vkey line ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
    _check_key_name(key_name)
    encoded = base64.b64encode(ED25519_TYPE + public_key.public_bytes_raw()).decode("ascii")
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> VerifierKey:
    """Parse a vkey line, checking that its key id matches its name and public key."""
    # The name holds no '+' and the hex id none, but base64 may: split twice, as Go does.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("bad_verifier_key", "expected <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    _check_key_name(name, reason="bad_verifier_key")
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError("bad_verifier_key", "the key id must be 8 hex digits")
    raw = _decode_or_raise(encoded, "bad_verifier_key", "the key is not base64")
    if len(raw) != 1 + _ED25519_KEY_SIZE or raw[:1] != ED25519_TYPE:
        raise NoteError("bad_verifier_key", "only Ed25519 keys (type 0x01) are supported")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise NoteError("bad_verifier_key", "not an Ed25519 public key") from exc
    if key_id(name, public_key) != bytes.fromhex(hex_id):
        raise NoteError("bad_verifier_key", "the key id does not match the name and key")
    return VerifierKey(name=name, key_id=bytes.fromhex(hex_id), public_key=public_key)


def decode_base64(text: str) -> bytes:
    """Decode standard padded base64 (RFC 4648 §4), refusing any non-canonical spelling.

    Raises ``ValueError``. Re-encoding must give the input back, so there is exactly one
    accepted text per value: no whitespace, no missing padding, no stray low bits.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Return ``text`` signed by the key as a one-signature note (c2sp.org/signed-note)."""
    _check_key_name(key_name)
    _check_text(text)
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("malformed_body", "text must end in a newline and hold no blank line")
    public_key = private_key.public_key()
    signature = private_key.sign(text.encode("utf-8"))
    encoded = base64.b64encode(key_id(key_name, public_key) + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{key_name} {encoded}\n"


def sign_checkpoint(cp: Checkpoint, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Return the whole signed note for the checkpoint."""
    return sign_note(cp.body().decode("utf-8"), key_name, private_key)


def open_checkpoint(
    note_text: str, vkey: str | VerifierKey, *, origin: str | None = None
) -> Checkpoint:
    """Verify the note's signature by ``vkey`` and return its checkpoint; raise NoteError.

    Signatures by other keys are ignored (the spec requires it, for witnesses and key
    rotation); every signature by the given key must verify and at least one must exist.
    When ``origin`` is given, the checkpoint must be for that log.
    """
    key = parse_verifier_key(vkey) if isinstance(vkey, str) else vkey
    text, signatures = _split_note(note_text)
    _verify_signatures(text, signatures, key)
    checkpoint = _parse_body(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError("origin_mismatch", f"checkpoint is for {checkpoint.origin!r}")
    return checkpoint


@dataclass(frozen=True)
class _NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


def _split_note(note_text: str) -> tuple[str, list[_NoteSignature]]:
    """Split a note at its last blank line into text and parsed signature lines."""
    if not isinstance(note_text, str) or len(note_text) > MAX_NOTE_SIZE:
        raise NoteError("malformed_note", f"a note is text of at most {MAX_NOTE_SIZE} chars")
    _check_text(note_text)
    if not note_text.endswith("\n"):
        raise NoteError("missing_trailing_newline", "a note ends in a newline")
    split = note_text.rfind("\n\n")
    if split < 0:
        raise NoteError("missing_signatures", "no blank line before signatures")
    text, signature_block = note_text[: split + 1], note_text[split + 2 :]
    lines = signature_block.split("\n")[:-1]
    if not lines:
        raise NoteError("missing_signatures", "no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too_many_signatures", f"{len(lines)} > {MAX_SIGNATURES}")
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> _NoteSignature:
    """Parse ``— <key name> <base64(key id || signature)>``."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("malformed_signature_line", "a signature line starts with '— '")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_key_name(name, reason="malformed_signature_line")
    raw = _decode_or_raise(encoded, "malformed_signature_line", "signature is not base64")
    if len(raw) <= _KEY_ID_SIZE:
        raise NoteError("malformed_signature_line", "signature too short")
    return _NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def _verify_signatures(text: str, signatures: list[_NoteSignature], key: VerifierKey) -> None:
    """Require at least one signature by ``key`` and that every one of them verifies."""
    mine = [s for s in signatures if s.name == key.name and s.key_id == key.key_id]
    if not mine:
        raise NoteError("no_signature_by_key", f"no signature by {key.name}")
    message = text.encode("utf-8")
    for signature in mine:
        if len(signature.signature) != _ED25519_SIGNATURE_SIZE:
            raise NoteError("bad_signature", "an Ed25519 signature is 64 bytes")
        try:
            key.public_key.verify(signature.signature, message)
        except InvalidSignature as exc:
            raise NoteError("bad_signature", f"signature by {key.name} does not verify") from exc


def _parse_body(text: str) -> Checkpoint:
    """Parse origin, tree size, root hash and extension lines (c2sp.org/tlog-checkpoint)."""
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("malformed_body", "a checkpoint has at least three lines")
    origin, size_text, root_text, *extensions = lines
    if len(size_text) > _MAX_SIZE_DIGITS or not _TREE_SIZE.fullmatch(size_text):
        raise NoteError("bad_tree_size", "tree size must be decimal without leading zeroes")
    root = _decode_or_raise(root_text, "bad_root_hash", "root hash is not base64")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def _decode_or_raise(text: str, reason: str, detail: str) -> bytes:
    try:
        return decode_base64(text)
    except ValueError as exc:
        raise NoteError(reason, detail) from exc


def _check_text(text: str) -> None:
    """Refuse ASCII control characters other than newline (c2sp.org/signed-note)."""
    if any(ord(char) < 0x20 and char != "\n" for char in text):
        raise NoteError("control_character", "notes hold no control characters but newline")


def _check_line(what: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise NoteError("malformed_body", f"{what} must be non-empty text")
    if any(ord(char) < 0x20 for char in value):
        raise NoteError("malformed_body", f"{what} holds a control character or newline")


def _check_key_name(name: str, *, reason: str = "bad_key_name") -> None:
    """Key names are non-empty, without Unicode spaces or '+' (c2sp.org/signed-note)."""
    if not name or "+" in name or any(char.isspace() for char in name):
        raise NoteError(reason, f"invalid key name {name!r}")
    if any(ord(char) < 0x20 for char in name):
        raise NoteError(reason, "key name holds a control character")
