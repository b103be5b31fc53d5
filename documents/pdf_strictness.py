"""Reading PDFs more strictly than pyHanko: an object is listed once per xref section, and
an xref stream holds no entry of an unknown type.

A cross-reference section that lists the same object number twice is ambiguous, and the
readers do not agree on it: pyHanko keeps the last entry, poppler the first. An attacker
used that on a sealed agreement: one incremental update listed page 1's content stream
twice, first at a forged copy (一万元 became 五万元), then at the original's offset. pyHanko
saw an identical overwrite, which its difference analysis ignores, and every signature
passed; poppler showed the forged amount. ISO 32000-1 §7.5.4 gives each object one entry
in a section (subsections list consecutive object numbers, an object stream's /Index
pairs the same), so a file that lists one twice is malformed and is refused — by every
pyHanko reader in the process once ``install`` has run (in strict mode, pyHanko's default
and the verifier's).

``tests/documents/test_verify_attacks.py`` builds that attack in a classic table, and in an
xref stream with two /Index ranges over one object (which pyHanko's own stream reader
already refuses, with an assert; this check stands behind it).

An xref stream entry of a type other than 0, 1 or 2 is, by ISO 32000-1 table 18, a null
reference, and pyHanko skips it; poppler instead declares the file damaged and rebuilds the
cross-reference table by scanning for ``N G obj``, taking the last copy of each object. A
second review used that: an update whose only entry for page 1's content had type 3, and an
unlisted forged copy of that object in the same bytes. pyHanko saw nothing change; poppler
showed the forgery. No court document needs an unknown entry type: it is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import xref
from pyhanko.pdf_utils.misc import PdfStrictReadError

#: pyHanko's own (taken from where ``install`` keeps it if this module is loaded again).
original_process_entries = getattr(
    xref.XRefSectionData, "_original_process_entries", xref.XRefSectionData.process_entries
)
xref.XRefSectionData._original_process_entries = original_process_entries  # type: ignore[attr-defined]


def _listed_once(entries: Iterator[xref.XRefEntry]) -> Iterator[xref.XRefEntry]:
    seen: set[int] = set()
    for entry in entries:
        if entry.idnum in seen:
            raise PdfStrictReadError(
                f"object {entry.idnum} is listed twice in one cross-reference section"
            )
        seen.add(entry.idnum)
        yield entry


def process_entries(
    self: xref.XRefSectionData, entries: Iterator[xref.XRefEntry], strict: bool
) -> Any:
    """pyHanko's reading of a section's entries, refusing a repeated object in strict mode."""
    return original_process_entries(self, _listed_once(entries) if strict else entries, strict)


original_parse_xref_stream = getattr(xref, "_original_parse_xref_stream", xref.parse_xref_stream)
xref._original_parse_xref_stream = original_parse_xref_stream  # type: ignore[attr-defined]


#: ISO 32000-1 annex C: at most 8,388,607 indirect objects in a file.
MAX_OBJECTS = 8_388_607
#: Widest field an xref stream needs: a type byte, an 8-byte offset, 4 bytes of generation
#: or index. Poppler refuses wider ones (the file does not open) where pyHanko read on.
MAX_FIELD_WIDTHS = (1, 8, 4)


def parse_xref_stream(xref_stream: Any, strict: bool = True) -> Iterator[xref.XRefEntry]:
    """pyHanko's reading of an xref stream, refusing (in strict mode) what poppler cannot
    open — field widths past ``MAX_FIELD_WIDTHS``, object numbers past ``MAX_OBJECTS`` or
    the stream's own /Size — and the entries of unknown type pyHanko would skip: every
    entry its /Index announces must come out as an entry."""
    announced = list(xref_stream.get("/Index", [0, xref_stream.get("/Size")]))
    expected = sum(int(count) for count in announced[1::2])
    if strict:
        _check_bounds(xref_stream, announced)
    read = 0
    for entry in original_parse_xref_stream(xref_stream, strict):
        read += 1
        yield entry
    if strict and read != expected:
        raise PdfStrictReadError(
            f"an xref stream holds {expected - read} entries of an unknown type"
        )


def _check_bounds(xref_stream: Any, announced: list[Any]) -> None:
    widths = [int(w) for w in xref_stream.get("/W", [])]
    size = int(xref_stream.get("/Size", 0))
    if len(widths) != 3 or any(
        w < 0 or w > most for w, most in zip(widths, MAX_FIELD_WIDTHS, strict=True)
    ):
        raise PdfStrictReadError(f"an xref stream's field widths {widths} are out of bounds")
    if not 0 < size <= MAX_OBJECTS + 1:
        raise PdfStrictReadError(f"an xref stream's /Size {size} is out of bounds")
    if len(announced) % 2:
        raise PdfStrictReadError("an xref stream's /Index is not a list of pairs")
    for first, count in zip(announced[0::2], announced[1::2], strict=True):
        if int(first) < 0 or int(count) < 0 or int(first) + int(count) > size:
            raise PdfStrictReadError(f"an xref stream lists objects past its /Size {size}")


def install() -> None:
    """Make every pyHanko reader in the process refuse repeated entries and entries of
    unknown type (idempotent)."""
    xref.XRefSectionData.process_entries = process_entries  # type: ignore[method-assign]
    xref.parse_xref_stream = parse_xref_stream


install()
