"""The faster hex-string reader agrees with pyHanko's own on every input: same value, same
stream position afterwards, or the same error."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic

from documents import pdf_parsing
from documents.pdf_parsing import original_read_hex_string, read_hex_string

#: Hex digits and PDF whitespace mostly, with what makes the slow path necessary.
_BODY = st.text(alphabet="0123456789abcdefABCDEF \n\r\t\f\x00%g>(<", max_size=80)


def _outcome(reader: Callable[[IO[bytes]], Any], data: bytes) -> tuple[object, ...]:
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # noqa: BLE001 - the comparison is of whatever happens
        return ("error", type(exc), str(exc))
    return ("value", type(value), bytes(value.original_bytes), stream.tell())


@settings(max_examples=300, deadline=None, database=None)
@given(body=_BODY, tail=st.binary(max_size=20))
@example(body="48656c6c6f", tail=b" /Next")
@example(body="4 8 6\n5 6c%comment\n6c6f", tail=b"")  # a comment: pyHanko's own path
@example(body="abc", tail=b"")  # odd length: the last digit is padded with 0
@example(body="zz", tail=b"")  # a bad character: the same error
def test_both_readers_agree(body: str, tail: bytes) -> None:
    data = b"<" + body.encode("latin-1") + tail
    assert _outcome(read_hex_string, data) == _outcome(original_read_hex_string, data)


def test_a_long_signature_contents_string_reads_whole() -> None:
    """A /Contents-sized string longer than one read chunk, wrapped over lines."""
    payload = bytes(range(256)) * 300
    hex_text = payload.hex()
    wrapped = "\n".join(hex_text[i : i + 64] for i in range(0, len(hex_text), 64))
    stream = io.BytesIO(b"<" + wrapped.encode() + b"> endobj")
    value = read_hex_string(stream)
    assert value.original_bytes == payload
    assert stream.read() == b" endobj"


def test_pyhanko_reads_documents_through_the_faster_reader() -> None:
    assert generic.read_hex_string_from_stream is pdf_parsing.read_hex_string
    parsed = generic.read_object(io.BytesIO(b"[<0102> <03>]"), generic.Reference(1, 0))
    assert [bytes(item.original_bytes) for item in parsed] == [b"\x01\x02", b"\x03"]
