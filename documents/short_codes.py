"""Verification short codes printed on court documents (and behind their QR codes)."""

from __future__ import annotations

import secrets
import unicodedata

#: No 0/O, 1/I/L: a code read aloud or typed from paper has one spelling.
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 12
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"


def new_short_code() -> str:
    """Draw a fresh verification code, ``ABCD-EFGH-JKMN``: 12 symbols of 31, about 59 bits."""
    raw = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
    return _group(raw)


def normalise_short_code(text: str) -> str | None:
    """Return the canonical grouped form of a typed short code, or None if it cannot be one.

    Full-width letters and dashes from a Chinese input method are folded (NFKC) first.
    """
    if len(text) > 4 * SHORT_CODE_LENGTH:
        return None
    folded = unicodedata.normalize("NFKC", text).upper()
    raw = "".join(ch for ch in folded if not (ch.isspace() or ch in _DASHES))
    if len(raw) != SHORT_CODE_LENGTH or any(ch not in SHORT_CODE_ALPHABET for ch in raw):
        return None
    return _group(raw)


def _group(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
