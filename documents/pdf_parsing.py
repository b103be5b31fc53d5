"""A faster reader for PDF hex strings, installed into pyHanko's parser.

pyHanko reads a hex string ``<…>`` one byte at a time, through a generator and a
whitespace-skipping helper per byte. A signature's ``/Contents`` is such a string, and a
court document carries five of them (8–16 KB of hex each, the reserved space included):
on the P2 benchmark that per-byte loop was a quarter of each verification's time.

This reader finds the closing ``>`` with one search and decodes with ``binascii``. It
only takes the common case — hex digits and PDF whitespace, then ``>`` — and hands
anything else (a comment inside the string, a bad character, a string cut off by the end
of the file) back to pyHanko's own reader from the same position, so every error and
every odd case behaves exactly as before. ``tests/documents/test_pdf_parsing.py`` checks
the two readers agree (value and stream position, or the same error) on generated input.
"""

from __future__ import annotations

import binascii
import re
from typing import IO, Any

from pyhanko.pdf_utils import generic

#: pyHanko's own reader, kept for the uncommon cases and for the equivalence tests (taken
#: from where ``install`` keeps it if this module is ever loaded a second time).
original_read_hex_string = getattr(
    generic, "_original_read_hex_string", generic.read_hex_string_from_stream
)
generic._original_read_hex_string = original_read_hex_string  # type: ignore[attr-defined]

_SIMPLE_BODY = re.compile(rb"[0-9A-Fa-f \n\r\t\f\x00]*>")
_WHITESPACE = re.compile(rb"[ \n\r\t\f\x00]+")
_CHUNK = 64 * 1024


def read_hex_string(stream: IO[bytes]) -> Any:
    """Read ``<hex>`` at the stream's position into a PDF string object, as pyHanko does."""
    start = stream.tell()
    gathered = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        gathered += chunk
        if gathered.find(b">", 1) >= 0:
            break
    buffer = bytes(gathered)
    match = _SIMPLE_BODY.match(buffer, 1)
    if not buffer.startswith(b"<") or match is None:
        stream.seek(start)
        return original_read_hex_string(stream)
    digits = _WHITESPACE.sub(b"", buffer[1 : match.end() - 1])
    stream.seek(start + match.end())
    if len(digits) % 2:
        digits += b"0"  # PDF 32000-1 §7.3.4.3: a missing final digit is taken as 0
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    """Make pyHanko's parser use this reader (idempotent; every reader in the process)."""
    generic.read_hex_string_from_stream = read_hex_string


install()
