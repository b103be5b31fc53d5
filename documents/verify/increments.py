"""Every byte of an update after the last signature is an object its cross-reference
section lists, that section itself, or the whitespace between them.

pyHanko reads a file through its cross-reference sections and never sees bytes they do not
list. A reader that finds a section damaged does not stop there: poppler rebuilds the table
by scanning the file for ``N G obj`` (taking the last copy of each object) and for a
``trailer`` to find the catalog. An unlisted forged object in an update after the seal is
therefore invisible to the verifier and shown by a viewer the moment anything else makes
the viewer rebuild — the unknown-entry-type attack of ``documents.pdf_strictness`` was one
such trigger; this module makes the next one harmless. For each revision after the last
signature (the ones no signature covers; ``documents.verify.updates`` judges what they
change), it requires:

* the revision's bytes, from the end of the revision before (its ``%%EOF`` and end of line)
  to its own end, are the section's listed objects, each starting exactly at its listed
  offset, then the section (an xref stream object, or ``xref`` … ``trailer`` << >>), then
  ``startxref`` with that section's offset and ``%%EOF`` — whitespace between them and
  nothing else (no comments, no stray objects, no second trailer);
* no ``N G obj`` or ``trailer`` appears anywhere in those bytes, inside a stream's payload
  included, except where a listed object or the section's trailer begins (a rebuilding
  reader scans payloads too);
* an object stream holds exactly the objects the section says it holds, each at its index.

A hybrid section (a table with an /XRefStm) is refused: court documents never have one, and
it gives readers two views of one revision. The revisions a signature covers need none of
this: their bytes are signed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef, XRefSectionMetaInfo, XRefSectionType

_WS = rb"[\x00\t\n\x0c\r ]"
_SPACE = re.compile(_WS + rb"*")
_HEADER = re.compile(rb"(\d+)" + _WS + rb"+(\d+)" + _WS + rb"+obj")
_ENDOBJ = re.compile(_WS + rb"*endobj")
_TRAILER = re.compile(_WS + rb"*trailer" + _WS + rb"*")
_XREF = re.compile(rb"xref" + _WS + rb"*")
_SUBSECTION = re.compile(rb"\d+ (\d+)" + _WS + rb"*")
_ENTRY = re.compile(rb"\d{10} \d{5} [nf](?: \r| \n|\r\n)")
_TAIL = re.compile(_WS + rb"*startxref" + _WS + rb"+(\d+)" + _WS + rb"+%%EOF(?:\r\n|\r|\n)?")
#: What a reader rebuilding the table looks for: an object header (not in the middle of a
#: number) and the trailer keyword.
_SCANNED = re.compile(rb"(?<![0-9])\d+" + _WS + rb"+\d+" + _WS + rb"+obj|trailer")


class Unaccounted(Exception):
    """Bytes of an update that are not what its cross-reference section says it holds."""


@dataclass(frozen=True)
class _Extent:
    start: int
    #: The object expected at ``start`` ((number, generation)), or None for an xref table.
    ref: tuple[int, int] | None


def check_revision(data: bytes, reader: PdfFileReader, revision: int) -> None:
    """Raise Unaccounted unless every byte of ``revision`` is accounted for (see above)."""
    xrefs = reader.xrefs
    info = xrefs.get_xref_container_info(revision)
    if info.xref_section_type is XRefSectionType.HYBRID_MAIN:
        raise Unaccounted("has a hybrid cross-reference section (a table with /XRefStm)")
    start = _revision_end(data, reader, revision - 1) if revision else 0
    extents, in_streams = _listed(reader, revision, info)
    if extents[-1].ref is not None and extents[-1].start != info.start_location:
        raise Unaccounted("has objects after its cross-reference section")
    allowed: set[int] = set()
    position = start
    for extent in extents:
        position = _SPACE.match(data, position).end()  # type: ignore[union-attr]
        if extent.start > position:
            raise Unaccounted(
                f"has {extent.start - position} bytes at offset {position} that its "
                "cross-reference section does not list"
            )
        if extent.start < position:
            raise Unaccounted(f"lists an object at offset {extent.start}, inside another")
        allowed.add(extent.start)
        if extent.ref is None:
            position, trailer_at = _read_table_section(data, reader, info)
            allowed.add(trailer_at)
        else:
            position = _read_object(data, reader, extent.start, extent.ref)
    end = _read_tail(data, position, info.declared_startxref)
    for match in _SCANNED.finditer(data, start, end):
        if match.start() not in allowed:
            raise Unaccounted(
                f"has {match.group().decode('latin-1')!r} at offset {match.start()}, "
                "which is no object or trailer its cross-reference section lists"
            )
    for stream_number, held in in_streams.items():
        _check_object_stream(reader, revision, stream_number, held)


def _listed(
    reader: PdfFileReader, revision: int, info: XRefSectionMetaInfo
) -> tuple[list[_Extent], dict[int, dict[int, int]]]:
    """The revision's extents in file order (its objects, then its section last) and, for
    each object stream it uses, the objects the section puts in it (number → index)."""
    xrefs = reader.xrefs
    extents: dict[int, _Extent] = {}
    in_streams: dict[int, dict[int, int]] = {}
    for ref in xrefs.explicit_refs_in_revision(revision):
        where = xrefs.get_historical_ref(ref, revision)
        if isinstance(where, ObjStreamRef):
            in_streams.setdefault(where.obj_stream_id, {})[ref.idnum] = where.ix_in_stream
        elif isinstance(where, int):
            if where in extents:
                raise Unaccounted(f"lists two objects at offset {where}")
            extents[where] = _Extent(where, (ref.idnum, ref.generation))
    section = info.start_location
    if info.stream_ref is not None:
        own = (info.stream_ref.idnum, info.stream_ref.generation)
        if extents.setdefault(section, _Extent(section, own)).ref != own:
            raise Unaccounted(f"lists another object where its xref stream is, at {section}")
    else:
        section = info.declared_startxref
        if section in extents:
            raise Unaccounted(f"lists an object where its xref table is, at {section}")
        extents[section] = _Extent(section, None)
    return sorted(extents.values(), key=lambda extent: extent.start), in_streams


def _read_object(data: bytes, reader: PdfFileReader, at: int, ref: tuple[int, int]) -> int:
    """Read the object ``ref`` that starts exactly at ``at``; return where it ends."""
    header = _HEADER.match(data, at)
    if header is None or (int(header[1]), int(header[2])) != ref:
        raise Unaccounted(f"does not hold object {ref[0]} at its listed offset {at}")
    stream = io.BytesIO(data)
    stream.seek(_SPACE.match(data, header.end()).end())  # type: ignore[union-attr]
    generic.read_object(stream, generic.Reference(ref[0], ref[1], reader))
    endobj = _ENDOBJ.match(data, stream.tell())
    if endobj is None:
        raise Unaccounted(f"has object {ref[0]} without endobj")
    return endobj.end()


def _read_table_section(
    data: bytes, reader: PdfFileReader, info: XRefSectionMetaInfo
) -> tuple[int, int]:
    """Read an xref table (from its startxref offset) and its trailer; return where they
    end, and where the trailer keyword is. The table is read as ISO 32000-1 §7.5.4 writes
    it (20-byte entries), not with the tolerances pyHanko's reader allows."""
    at = info.declared_startxref
    keyword = _XREF.match(data, at)
    if keyword is None:
        raise Unaccounted(f"has no xref keyword at its startxref {at}")
    position = keyword.end()
    while (subsection := _SUBSECTION.match(data, position)) is not None:
        position = subsection.end()
        for _ in range(int(subsection[1])):
            if _ENTRY.match(data, position) is None:
                raise Unaccounted(f"has an xref table entry at {position} that is not 20 bytes")
            position += 20
    trailer = _TRAILER.match(data, position)
    if trailer is None:
        raise Unaccounted(f"has bytes at offset {position} where its xref table's trailer belongs")
    stream = io.BytesIO(data)
    stream.seek(trailer.end())
    generic.DictionaryObject.read_from_stream(
        stream,
        generic.TrailerReference(reader),  # type: ignore[no-untyped-call]
    )
    return stream.tell(), trailer.start() + trailer.group().index(b"trailer")


def _read_tail(data: bytes, at: int, startxref: int) -> int:
    tail = _TAIL.match(data, at)
    if tail is None:
        raise Unaccounted(f"has bytes at offset {at} where startxref and %%EOF belong")
    if int(tail[1]) != startxref:
        raise Unaccounted(f"ends with startxref {int(tail[1])}, not its section's {startxref}")
    return tail.end()


def _revision_end(data: bytes, reader: PdfFileReader, revision: int) -> int:
    """Where ``revision`` ends: after its section, startxref and %%EOF (and an EOL)."""
    info = reader.xrefs.get_xref_container_info(revision)
    if info.stream_ref is not None and info.xref_section_type is XRefSectionType.STREAM:
        ref = (info.stream_ref.idnum, info.stream_ref.generation)
        end = _read_object(data, reader, info.start_location, ref)
    else:
        end, _ = _read_table_section(data, reader, info)
    return _read_tail(data, end, info.declared_startxref)


def _check_object_stream(
    reader: PdfFileReader, revision: int, number: int, held: dict[int, int]
) -> None:
    """The object stream ``number`` holds exactly ``held`` (object number → index)."""
    stream = reader.get_historical_resolver(revision)(generic.Reference(number, 0, reader))
    if not isinstance(stream, generic.StreamObject) or stream.get("/Type") != "/ObjStm":
        raise Unaccounted(f"puts objects in object {number}, which is no object stream")
    count = int(stream["/N"])
    numbers = stream.data[: int(stream["/First"])].split()
    if len(numbers) != 2 * count:
        raise Unaccounted(f"has object stream {number} whose header does not list /N objects")
    inside = {int(numbers[2 * i]): i for i in range(count)}
    if len(inside) != count or inside != held:
        raise Unaccounted(
            f"has object stream {number} holding objects its cross-reference section does "
            "not list there"
        )
