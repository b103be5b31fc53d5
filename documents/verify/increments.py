"""Every byte of an update after the last signature is an object its cross-reference
section lists, written so that every reader reads it alike, that section itself, or the
whitespace between them.

pyHanko reads a file through its cross-reference sections and never sees bytes they do not
list. A reader that finds a section damaged does not stop there: poppler rebuilds the table
by scanning the file for ``N G obj`` (taking the last copy of each object) and for a
``trailer`` to find the catalog. An unlisted forged object in an update after the seal is
therefore invisible to the verifier and shown by a viewer the moment anything else makes
the viewer rebuild — the unknown-entry-type attack of ``documents.pdf_strictness`` was one
such trigger; this module makes the next one harmless. For each revision from the first
signature's own on (``documents.verify.updates`` judges what they change, and pyHanko's
difference analysis too between signatures: each can only judge what it reads), it
requires:

* the revision's bytes, from the end of the revision before (its ``%%EOF`` and end of line)
  to its own end, are the section's listed objects, each starting exactly at its listed
  offset, then the section (an xref stream object, or ``xref`` … ``trailer`` << >>), then
  ``startxref`` with that section's offset and ``%%EOF`` — whitespace between them and
  nothing else (no comments, no stray objects, no second trailer);
* no ``N G obj`` or ``trailer`` appears anywhere in those bytes, inside a stream's payload
  included, except where a listed object or the section's trailer begins (a rebuilding
  reader scans payloads too);
* no object is in an object stream: readers disagree on where an object stream's objects
  start (ISO 32000-1 and pyHanko read object i at /First + its offset; poppler 22.12 reads
  the first at max(/First, its offset) from the stream's start), and a third review used
  that for a page pyHanko read as unchanged and poppler as blank. pyHanko writes no object
  streams in incremental updates;
* each object is written in plain syntax (``_check_plain``): the tokens pyHanko writes, no
  comments, a stream's data right after ``stream`` and one end of line, exactly /Length
  bytes, then at most one end of line and ``endstream``. Where readers' tolerances differ
  (pyHanko starts a stream's data on the keyword's line if anything follows it, poppler on
  the next line) one file would show two documents.

* the section's own trailer (or xref stream dictionary) stands alone: only trailer keys
  (no /Encrypt, no /XRefStm), /Root, /Info and the permanent /ID repeated, /Prev the
  section before, /Size within ISO 32000-1 annex C and above every object listed. pyHanko
  merges trailers across revisions; poppler reads the newest alone, and a second review
  made it lose /Root (the file does not open) or /Info while pyHanko saw nothing change.

A hybrid section (a table with an /XRefStm) is refused: court documents never have one, and
it gives readers two views of one revision. The revisions up to the first signature need
none of this: every signature covers them (the court wrote them: WeasyPrint's object
streams are there).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef, XRefSectionMetaInfo, XRefSectionType

from documents.pdf_strictness import MAX_OBJECTS

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
    extents = _listed(reader, revision, info)
    if extents[-1].ref is not None and extents[-1].start != info.start_location:
        raise Unaccounted("has objects after its cross-reference section")
    allowed: set[int] = set()
    section: generic.PdfObject | None = None
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
            position, trailer_at, section = _read_table_section(data, reader, info, plain=True)
            allowed.add(trailer_at)
        else:
            position, obj = _read_plain_object(data, reader, revision, extent.start, extent.ref)
            if extent.start == info.start_location and info.stream_ref is not None:
                section = obj
    end = _read_tail(data, position, info.declared_startxref)
    _check_section_dictionary(section, reader, revision, extents)
    for match in _SCANNED.finditer(data, start, end):
        if match.start() not in allowed:
            raise Unaccounted(
                f"has {match.group().decode('latin-1')!r} at offset {match.start()}, "
                "which is no object or trailer its cross-reference section lists"
            )


def _listed(reader: PdfFileReader, revision: int, info: XRefSectionMetaInfo) -> list[_Extent]:
    """The revision's extents in file order: its objects, then its section last."""
    xrefs = reader.xrefs
    extents: dict[int, _Extent] = {}
    for ref in xrefs.explicit_refs_in_revision(revision):
        if ref.generation != 0:
            # pyHanko writes generation 0 only; "N 1 obj" over an existing "N 0" makes every
            # "N 0 R" null for poppler (a page's content, say) while pyHanko may read on.
            raise Unaccounted(f"writes object {ref.idnum} with generation {ref.generation}")
        where = xrefs.get_historical_ref(ref, revision)
        if isinstance(where, ObjStreamRef):
            raise Unaccounted(
                f"puts object {ref.idnum} in object stream {where.obj_stream_id} (readers "
                "disagree on where an object stream's objects start)"
            )
        if isinstance(where, int):
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
    return sorted(extents.values(), key=lambda extent: extent.start)


def _header(data: bytes, at: int, ref: tuple[int, int]) -> int:
    """Where the body of object ``ref``, whose header must start exactly at ``at``, starts."""
    header = _HEADER.match(data, at)
    if header is None or (int(header[1]), int(header[2])) != ref:
        raise Unaccounted(f"does not hold object {ref[0]} at its listed offset {at}")
    return header.end()


def _read_object(
    data: bytes, reader: PdfFileReader, at: int, ref: tuple[int, int]
) -> tuple[int, generic.PdfObject]:
    """Read the object ``ref`` that starts exactly at ``at``; return where it ends, and the
    object."""
    stream = io.BytesIO(data)
    stream.seek(_SPACE.match(data, _header(data, at, ref)).end())  # type: ignore[union-attr]
    obj = generic.read_object(stream, generic.Reference(ref[0], ref[1], reader))
    endobj = _ENDOBJ.match(data, stream.tell())
    if endobj is None:
        raise Unaccounted(f"has object {ref[0]} without endobj")
    return endobj.end(), obj


def _read_plain_object(
    data: bytes, reader: PdfFileReader, revision: int, at: int, ref: tuple[int, int]
) -> tuple[int, generic.PdfObject]:
    """Read object ``ref`` of ``revision`` at ``at`` as ``_read_object`` does, and check it
    is written in plain syntax. pyHanko has parsed (and kept) an object its section lists
    from these very bytes: that parse is used, and the plain tokens show where it ends."""
    body = _header(data, at, ref)
    reference = generic.Reference(ref[0], ref[1], reader)
    if reader.xrefs.get_historical_ref(reference, revision) != at:  # an unlisted xref stream
        return _read_plain(data, body, *_read_object(data, reader, at, ref), ref[0])
    obj = reader.get_historical_resolver(revision)(reference)
    return _read_plain(data, body, None, obj, ref[0])


def _read_plain(
    data: bytes, body: int, end: int | None, obj: generic.PdfObject, number: int
) -> tuple[int, generic.PdfObject]:
    payload = None
    if isinstance(obj, generic.StreamObject):
        payload = obj.encoded_data
        length = obj.raw_get("/Length")
        if not isinstance(length, generic.NumberObject) or length != len(payload):
            raise Unaccounted(f"writes object {number} without a direct, exact /Length")
        _check_decode_parameters(obj, number)
    plain_end = _check_plain(data, body, end, payload, number)
    return plain_end, obj


#: Stream entries readers take differently (a ninth review): an external file's filters,
#: or abbreviations poppler accepts in a stream dictionary where pyHanko does not.
_READ_OTHERWISE = frozenset({"/F", "/FFilter", "/FDecodeParms", "/DP", "/DL"})


def _check_decode_parameters(stream: generic.StreamObject, number: int) -> None:
    """Refuse decoding parameters pyHanko and poppler apply differently (an eighth review):
    pyHanko's PNG predictor ignores /Colors and /BitsPerComponent (rows of /Columns + 1
    bytes, where poppler's are /Colors × /Columns × bits / 8 + 1), so one stream decoded to
    an appearance without text for the verifier and with it for poppler; and pyHanko
    applies a /DecodeParms array beside a single /Filter name, which poppler ignores."""
    abbreviated = set(stream.keys()) & _READ_OTHERWISE
    if abbreviated:
        raise Unaccounted(
            f"writes object {number} with {sorted(abbreviated)} (poppler reads /F as /Filter "
            "and /DP as /DecodeParms, pyHanko does not)"
        )
    if "/DecodeParms" not in stream:
        return
    filters = stream.raw_get("/Filter") if "/Filter" in stream else None
    parameters = stream.raw_get("/DecodeParms")
    if isinstance(filters, generic.ArrayObject) and isinstance(parameters, generic.ArrayObject):
        pairs = len(filters) == len(parameters)
        entries = list(parameters)
    else:
        pairs = isinstance(filters, generic.NameObject) and isinstance(
            parameters, (generic.DictionaryObject, generic.NullObject)
        )
        entries = [parameters]
    if not pairs:
        raise Unaccounted(f"writes object {number} with /DecodeParms that do not match /Filter")
    for entry in entries:
        if not isinstance(entry, generic.DictionaryObject) or entry.get("/Predictor", 1) == 1:
            continue
        if entry.get("/Colors", 1) != 1 or entry.get("/BitsPerComponent", 8) != 8:
            raise Unaccounted(
                f"writes object {number} with a predictor over /Colors or /BitsPerComponent "
                "(readers decode it differently)"
            )


#: A regular character (ISO 32000-1 §7.2.2: not white-space, not a delimiter), printable
#: ASCII only; in a name, # starts a two-digit escape.
_REGULAR = rb"[!\"$&'*-.0-;=?-Z\\^-z|~]"
#: The plain syntax an update after the last signature is written in (pyHanko's own), token
#: by token: ISO 32000-1 §7.3 without its dark corners — no comments, no NUL or form feed,
#: names of printable ASCII, decimal numbers, hex strings of hex digits only, literal
#: strings without raw parentheses or carriage returns (escaped instead) and without octal
#: escapes past \377 (pyHanko refuses them; poppler keeps the low byte).
_PLAIN = re.compile(
    rb"[\t\n\r ]+"
    rb"|<<|>>|\[|\]"
    rb"|/(?:" + _REGULAR + rb"|#[0-9A-Fa-f]{2})*(?!#)"
    rb"|[+-]?(?:\d+\.?\d*|\.\d+)(?!" + _REGULAR + rb"|#)"
    rb"|(?:true|false|null|R|stream|endstream|endobj)(?!" + _REGULAR + rb"|#)"
    rb"|<[0-9A-Fa-f]*>"
    rb"|\((?:[^\\()\r]|\\[nrtbf()\\]|\\(?:[0-3][0-7]{2}|[0-7]{1,2}(?![0-7])))*\)"
)
_STREAM_START = re.compile(rb"stream(?:\r\n|\n)")
_STREAM_END = re.compile(rb"(?:\r\n|\n|\r)?endstream")


def _check_plain(
    data: bytes, start: int, end: int | None, payload: bytes | None, number: int
) -> int:
    """Object ``number``'s bytes from ``start`` to ``end`` (or, without one, to its
    ``endobj``) are plain tokens, and a stream's payload sits exactly between ``stream`` and
    its end of line and ``endstream``: readers that disagree on exotic syntax (where a
    stream's data starts, an unescaped parenthesis, a comment) cannot be made to see two
    different objects. Return where the tokens end."""
    position, depth, values = start, 0, 0
    while end is None or position < end:
        token = _PLAIN.match(data, position)
        if token is None or (end is not None and token.end() > end):
            raise Unaccounted(
                f"writes object {number} in syntax readers may not agree on (offset {position})"
            )
        position = token.end()
        text = token.group()
        if text[:1] in b"\t\n\r ":
            continue
        if text == b"endobj" and depth == 0 and values == 1:
            if end is None:
                return position
            continue
        if text in (b"<<", b"["):
            depth += 1
        elif text in (b">>", b"]"):
            depth -= 1
        # One value and nothing else: a second would be read by some readers, not others.
        if depth == 0 and text not in (b"stream", b"endobj"):
            values += 1
        if values > 1 or depth < 0 or (text in (b"stream", b"endobj") and depth):
            raise Unaccounted(f"writes object {number} as more or less than one object")
        if text == b"stream":
            opened = _STREAM_START.match(data, token.start())
            if payload is None or opened is None:
                raise Unaccounted(f"writes object {number}'s stream data after a bad stream line")
            body_end = opened.end() + len(payload)
            closed = _STREAM_END.match(data, body_end)
            if data[opened.end() : body_end] != payload or closed is None:
                raise Unaccounted(f"writes object {number}'s stream data not where /Length says")
            position = closed.end()
    return position


def _read_table_section(
    data: bytes, reader: PdfFileReader, info: XRefSectionMetaInfo, *, plain: bool = False
) -> tuple[int, int, generic.DictionaryObject]:
    """Read an xref table (from its startxref offset) and its trailer; return where they
    end, where the trailer keyword is, and the trailer. The table is read as ISO 32000-1
    §7.5.4 writes it (20-byte entries), not with the tolerances pyHanko's reader allows;
    with ``plain``, the trailer must be in plain syntax too."""
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
    dictionary = generic.DictionaryObject.read_from_stream(
        stream,
        generic.TrailerReference(reader),  # type: ignore[no-untyped-call]
    )
    if plain:
        _check_plain(data, trailer.end(), stream.tell(), None, 0)
    return stream.tell(), trailer.start() + trailer.group().index(b"trailer"), dictionary


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
        end, _ = _read_object(data, reader, info.start_location, ref)
    else:
        end, _, _ = _read_table_section(data, reader, info)
    return _read_tail(data, end, info.declared_startxref)


#: What the dictionary of a section after the last signature may hold: its trailer entries
#: (ISO 32000-1 table 15, without /Encrypt or /XRefStm) and an xref stream's own (table 17).
_TRAILER_KEYS = frozenset({"/Size", "/Root", "/Info", "/ID", "/Prev"})
_XREF_STREAM_KEYS = _TRAILER_KEYS | {"/Type", "/W", "/Index", "/Filter", "/DecodeParms", "/Length"}


def _check_section_dictionary(
    section: generic.PdfObject | None, reader: PdfFileReader, revision: int, extents: list[_Extent]
) -> None:
    """The section's own trailer (or xref stream dictionary) stands on its own: pyHanko
    merges trailers across revisions and takes a /Root or /Info the newest one lacks from an
    older one, poppler reads the newest alone (no /Root: it cannot open the file; no /Info:
    the title is gone). So it repeats /Root, /Info and /ID as they were, continues /Prev
    from the section before, and keeps /Size within what readers open (ISO 32000-1 annex C)
    and above every object it lists."""
    if not isinstance(section, generic.DictionaryObject):
        raise Unaccounted("has no readable trailer")
    allowed = _TRAILER_KEYS if not isinstance(section, generic.StreamObject) else _XREF_STREAM_KEYS
    extra = set(section.keys()) - allowed
    if extra:
        raise Unaccounted(f"has a trailer with {sorted(extra)}")
    before = reader.get_historical_resolver(revision - 1).trailer_view
    for key in ("/Root", "/Info", "/ID"):
        if key in before and key not in section:
            raise Unaccounted(f"has a trailer without {key}")
    if "/Root" in before and section.raw_get("/Root") != before.raw_get("/Root"):
        raise Unaccounted("has a trailer that changes /Root")
    # The first identifier is permanent (ISO 32000-1 §14.4); the second changes with updates.
    if "/ID" in before and _first_id(section) != _first_id(before):
        raise Unaccounted("has a trailer that changes the document's permanent /ID")
    previous = reader.xrefs.get_xref_container_info(revision - 1).declared_startxref
    prev = section.raw_get("/Prev") if "/Prev" in section else None
    if not isinstance(prev, generic.NumberObject) or prev != previous:
        raise Unaccounted(f"has a trailer whose /Prev is not {previous}")
    size = section.raw_get("/Size") if "/Size" in section else None
    highest = max((extent.ref[0] for extent in extents if extent.ref is not None), default=0)
    if not (
        isinstance(size, generic.NumberObject)
        and int(before.get("/Size", 0)) <= size <= MAX_OBJECTS + 1
        and highest < size
    ):
        raise Unaccounted(f"has a trailer /Size {size} out of bounds")


def _first_id(trailer: generic.DictionaryObject) -> bytes:
    ids = trailer.raw_get("/ID")
    if not isinstance(ids, generic.ArrayObject) or len(ids) != 2:
        raise Unaccounted("has a trailer /ID that is not two strings")
    first = ids[0]
    if not isinstance(first, (generic.ByteStringObject, generic.TextStringObject)):
        raise Unaccounted("has a trailer /ID that is not two strings")
    return bytes(first.original_bytes)
