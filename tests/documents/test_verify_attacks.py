"""Attacks an adversarial review found passing, each now named and failed — and the
long-term updates a genuine court document receives, which still pass.

Each attack starts from a genuine sealed document with its document time stamp (B-LTA)
and appends one incremental update after it, as anyone holding the file could. Before the
fixes every one of them verified TOTAL-PASSED while a viewer (poppler) showed something
other than what was signed; see ``documents.pdf_strictness`` and ``documents.verify.updates``.
"""

from __future__ import annotations

import io
import re
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko_certvalidator import ValidationContext

from documents.verify import VerificationReport
from documents.verify.engine import MAX_REVISIONS
from tests.documents import pdfs
from tests.documents.test_verify import ALL_SIGNERS, PARTY_A, PARTY_B, verify

Edit = Callable[[IncrementalPdfFileWriter], None]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> pdfs.CourtDocuments:
    return pdfs.build_documents(tmp_path_factory.mktemp("court"))


@pytest.fixture(scope="module")
def archived(docs: pdfs.CourtDocuments) -> bytes:
    """The sealed notice with its document time stamp (B-LTA), fields locked by the seal."""
    return pdfs.seal_archived(docs.two_parties, docs.pki, docs.timestamper)


def _append(data: bytes, edit: Edit) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    edit(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _assert_modified(report: VerificationReport, detail: str) -> None:
    assert not report.passed
    assert report.indication == "TOTAL-FAILED", report.reasons
    assert report.sub_indication == "FORMAT_FAILURE"
    for signature in report.signatures:
        assert signature.coverage == "followed_by_disallowed_changes"
        assert signature.indication == "TOTAL-FAILED"
    assert any(detail in reason.detail for reason in report.reasons), report.reasons


def _text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "shown.pdf"
    path.write_bytes(data)
    run = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return run.stdout.decode()


# --- Genuine long-term updates pass -------------------------------------------------------


def test_the_archived_document_and_its_renewal_pass(
    docs: pdfs.CourtDocuments, archived: bytes
) -> None:
    """A renewal (new validation data, a new document time stamp) is what B-LTA expects
    every few years: it must keep passing under the stricter rule."""
    assert verify(docs, archived, *ALL_SIGNERS).passed

    context = ValidationContext(
        trust_roots=[pdfs._asn1(docs.root)], crls=list(docs.crls), allow_fetching=False
    )
    output = PdfTimeStamper(docs.timestamper).update_archival_timestamp_chain(
        PdfFileReader(io.BytesIO(archived)), context, in_place=False, output=io.BytesIO()
    )
    renewed = output.getvalue()
    report = verify(docs, renewed, *ALL_SIGNERS)
    assert report.passed, report.reasons
    assert len(report.timestamps) == 2
    assert report.revisions > PdfFileReader(io.BytesIO(archived)).xrefs.total_revisions


# --- Attacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["table", "stream"])
def test_an_object_listed_twice_in_one_xref_section_is_malformed(
    docs: pdfs.CourtDocuments, archived: bytes, section: str, tmp_path: Path
) -> None:
    """pyHanko took the second entry (the original: an 'identical overwrite'), poppler the
    first (a forged page): the page changed and every signature passed. In an xref stream
    the same is two /Index ranges over one object."""
    reader = PdfFileReader(io.BytesIO(archived))
    page = reader.root["/Pages"]["/Kids"][0]
    content_ref = page.raw_get("/Contents").reference
    original = reader.xrefs[content_ref]
    assert isinstance(original, int)  # a plain object, not in an object stream
    body = zlib.compress(b"")  # the forged page is blank
    out = bytearray(archived)
    forged_at = len(out)
    number, size = content_ref.idnum, int(reader.trailer["/Size"])
    out += b"%d 0 obj\n<</Filter/FlateDecode/Length %d>>stream\n" % (number, len(body))
    out += body + b"\nendstream\nendobj\n"
    xref_at = len(out)
    previous = int(re.findall(rb"startxref\s+(\d+)", archived)[-1])
    if section == "table":
        out += b"xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n" % (
            number, forged_at, number, original
        )  # fmt: skip
        out += b"trailer\n<</Size %d/Root %d 0 R/Prev %d>>\n" % (
            size, reader.root_ref.idnum, previous
        )  # fmt: skip
    else:
        entries = b"".join(
            b"\x01" + at.to_bytes(4, "big") + b"\0\0" for at in (forged_at, original)
        )
        out += b"%d 0 obj\n<</Type/XRef/W[1 4 2]/Index[%d 1 %d 1]/Size %d/Root %d 0 R" % (
            size, number, number, size + 1, reader.root_ref.idnum
        )  # fmt: skip
        out += b"/Prev %d/Length %d>>stream\n%s\nendstream\nendobj\n" % (
            previous, len(entries), entries
        )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    forged = bytes(out)
    if section == "table":  # poppler takes the first entry: the notice's text is gone
        assert "受理通知书" in _text(archived, tmp_path)
        assert "受理通知书" not in _text(forged, tmp_path)

    report = verify(docs, forged, *ALL_SIGNERS)
    assert not report.passed
    assert report.indication == "TOTAL-FAILED"
    assert report.reasons[0].code == "malformed_pdf", report.reasons
    if section == "table":
        assert f"object {number} is listed twice" in report.reasons[0].detail


def _raw_update(
    data: bytes,
    objects: dict[int, bytes],
    entries: dict[int, int],
    *,
    widths: bytes = b"1 4 2",
    declared_size: int | None = None,
) -> bytes:
    """Append objects and an xref stream by hand: ``entries`` gives an object's xref entry
    type (1 = at its offset here; anything else is written as that type, offset 0);
    ``widths`` and ``declared_size`` are what the stream's /W and /Size say (the entries are
    written 1-4-2 whatever /W says)."""
    reader = PdfFileReader(io.BytesIO(data))
    size = max([int(reader.trailer["/Size"]), *(n + 1 for n in objects)])
    out = bytearray(data)
    rows: dict[int, tuple[int, int]] = {}
    for number, body in objects.items():
        if entries.get(number, 1) == 1:
            rows[number] = (1, len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    for number, kind in entries.items():
        if kind != 1:
            rows[number] = (kind, 0)
    # For a reader that rebuilds the table by scanning: it looks for a trailer to find /Root.
    out += b"trailer\n<</Size %d/Root %d 0 R>>\n" % (size + 1, reader.root_ref.idnum)
    rows[size] = (1, len(out))
    index = b" ".join(b"%d 1" % n for n in sorted(rows))
    table = b"".join(
        bytes([t]) + at.to_bytes(4, "big") + b"\0\0" for t, at in (rows[n] for n in sorted(rows))
    )
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    xref_at = len(out)
    out += b"%d 0 obj\n<</Type/XRef/Size %d/Index[%s]/W[%s]/Root %d 0 R/Prev %d/Length %d>>" % (
        size, declared_size or size + 1, index, widths, reader.root_ref.idnum, previous, len(table)
    )  # fmt: skip
    out += b"stream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % (table, xref_at)
    return bytes(out)


def _blank_content(reader: PdfFileReader) -> tuple[int, bytes]:
    """Page 1's content object number, and a stream body that draws nothing in its place."""
    page = reader.root["/Pages"]["/Kids"][0]
    return page.raw_get("/Contents").reference.idnum, b"<</Length 0>>stream\n\nendstream"


def test_an_xref_entry_of_unknown_type_is_malformed(
    docs: pdfs.CourtDocuments, archived: bytes, tmp_path: Path
) -> None:
    """pyHanko skips an entry of type 3 (ISO 32000-1 table 18: a null reference); poppler
    calls the file damaged, rebuilds the table by scanning and takes the unlisted forged
    copy of page 1's content written beside it."""
    number, blank = _blank_content(PdfFileReader(io.BytesIO(archived)))
    forged = _raw_update(archived, {number: blank}, {number: 3})
    assert "受理通知书" not in _text(forged, tmp_path)  # what poppler shows: a blank page

    report = verify(docs, forged, *ALL_SIGNERS)
    assert not report.passed
    assert report.reasons[0].code == "malformed_pdf", report.reasons
    assert "unknown type" in report.reasons[0].detail


def test_an_existing_object_cannot_be_rewritten_as_the_xmp_metadata(
    docs: pdfs.CourtDocuments, archived: bytes, tmp_path: Path
) -> None:
    """The catalog's /Metadata pointed at page 1's content, rewritten as an 'XMP' stream:
    the page shows whatever that stream draws."""
    reader = PdfFileReader(io.BytesIO(archived))
    number, _ = _blank_content(reader)
    forged = _raw_update(archived, _new_metadata(reader, number, _xmp_stream(b"")), {})
    assert "受理通知书" not in _text(forged, tmp_path)

    report = verify(docs, forged, *ALL_SIGNERS)
    _assert_modified(report, f"passes existing object {number} off as the XMP metadata")


@pytest.mark.parametrize(
    ("widths", "declared_size", "detail"),
    [
        (b"5 4 2", None, "field widths"),
        (b"1 4 9", None, "field widths"),
        (b"1 4 2", 2_147_483_647, "/Size"),
    ],
)
def test_an_xref_stream_poppler_cannot_read_is_malformed(
    docs: pdfs.CourtDocuments,
    archived: bytes,
    widths: bytes,
    declared_size: int | None,
    detail: str,
    tmp_path: Path,
) -> None:
    """pyHanko read on and found nothing changed; poppler could not open the file at all."""
    forged = _raw_update(archived, {}, {}, widths=widths, declared_size=declared_size)
    path = tmp_path / "unreadable.pdf"
    path.write_bytes(forged)
    assert subprocess.run(["pdfinfo", str(path)], capture_output=True, check=False).returncode != 0

    report = verify(docs, forged, *ALL_SIGNERS)
    assert report.reasons[0].code == "malformed_pdf", report.reasons
    assert detail in report.reasons[0].detail


def test_an_update_of_many_objects_is_refused_before_they_are_read(
    docs: pdfs.CourtDocuments, archived: bytes
) -> None:
    """A few KB of tiny objects cost pyHanko seconds each; no PAdES update writes hundreds.
    And a new stream merely typed /ObjStm is not this update's object stream."""
    size = int(PdfFileReader(io.BytesIO(archived)).trailer["/Size"])
    many = _raw_update(archived, {size + n: b"%d" % n for n in range(300)}, {})
    report = verify(docs, many, *ALL_SIGNERS)
    _assert_modified(report, "writes 301 objects, more than validation data")

    junk = _raw_update(
        archived, {size: b"<</Type/ObjStm/N 0/First 0/Length 0>>stream\n\nendstream"}, {}
    )
    _assert_modified(verify(docs, junk, *ALL_SIGNERS), f"changes objects {size},")


def _raw(value: generic.PdfObject) -> bytes:
    out = io.BytesIO()
    value.write_to_stream(out)
    return out.getvalue()


def _hidden_field(writer: IncrementalPdfFileWriter, *, widget: bool) -> None:
    """A new unsigned signature field over page 1 whose /Rect ends in an indirect number,
    'explained' as a DSS VRI time stamp: pyHanko took it for an invisible field."""
    root = writer.root
    page_ref = root["/Pages"]["/Kids"].raw_get(0)
    number = writer.add_object(generic.NumberObject(780))
    dss = root["/DSS"]
    dss[pdf_name("/VRI")] = generic.DictionaryObject(
        {pdf_name("/" + "A" * 40): generic.DictionaryObject({pdf_name("/TS"): number})}
    )
    writer.update_container(dss)
    white = generic.ArrayObject([generic.NumberObject(1)] * 3)
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): pdf_string("note"),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/P"): page_ref,
            pdf_name("/Rect"): generic.ArrayObject(
                [*(generic.NumberObject(v) for v in (40, 600, 560)), number]
            ),
        }
    )
    if widget:
        field[pdf_name("/Subtype")] = pdf_name("/Widget")
        field[pdf_name("/MK")] = generic.DictionaryObject({pdf_name("/BG"): white})
    else:
        field[pdf_name("/Subtype")] = pdf_name("/FreeText")
        field[pdf_name("/Contents")] = pdf_string("RMB 1,000,000")
        field[pdf_name("/DA")] = pdf_string("0 0 0 rg /Helv 10 Tf")
        field[pdf_name("/IC")] = white
    _add_field(writer, page_ref, field)


def _add_field(
    writer: IncrementalPdfFileWriter, page_ref: generic.IndirectObject, field: generic.PdfObject
) -> None:
    """Add a field-and-widget to the form and to the page, as an editor would."""
    field_ref = writer.add_object(field)
    form = writer.root["/AcroForm"]
    form["/Fields"].append(field_ref)
    writer.update_container(form)
    page = page_ref.get_object()
    annots = page.raw_get("/Annots") if "/Annots" in page else None
    if annots is None:
        page[pdf_name("/Annots")] = generic.ArrayObject([field_ref])
    else:
        annots.get_object().append(field_ref)
    writer.update_container(page)


def _set(
    writer: IncrementalPdfFileWriter,
    holder: generic.DictionaryObject,
    key: str,
    value: generic.PdfObject,
) -> None:
    holder[pdf_name(key)] = value
    writer.update_container(holder)


def _javascript() -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): pdf_string("app.alert(1)")}
    )


def _script_field(writer: IncrementalPdfFileWriter) -> None:
    root = writer.root
    page_ref = root["/Pages"]["/Kids"].raw_get(0)
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): pdf_string("script"),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
            pdf_name("/P"): page_ref,
            pdf_name("/AA"): generic.DictionaryObject({pdf_name("/PO"): _javascript()}),
        }
    )
    _add_field(writer, page_ref, field)


@pytest.mark.parametrize(
    ("name", "edit", "detail"),
    [
        (
            "a FreeText field taken for invisible",
            lambda w: _hidden_field(w, widget=False),
            "not a signature widget",
        ),
        ("a widget with a white background", lambda w: _hidden_field(w, widget=True), "/MK"),
        (
            "NeedAppearances (viewers redraw every widget: the seal vanishes)",
            lambda w: _set(w, w.root["/AcroForm"], "/NeedAppearances", generic.BooleanObject(True)),
            "/NeedAppearances",
        ),
        (
            "another title in the document information",
            lambda w: _set(w, w.trailer["/Info"], "/Title", pdf_string("调解协议（金额一百万元）")),
            "/Title",
        ),
        (
            "JavaScript run when the document opens",
            lambda w: _set(w, w.root, "/OpenAction", _javascript()),
            "/OpenAction",
        ),
        ("a page-open JavaScript action on a zero-size field", _script_field, "/AA"),
    ],
)
def test_a_change_after_the_last_signature_that_is_not_validation_data_fails(
    docs: pdfs.CourtDocuments, archived: bytes, name: str, edit: Edit, detail: str
) -> None:
    report = verify(docs, _append(archived, edit), *ALL_SIGNERS)
    _assert_modified(report, detail)
    assert report.timestamps[0].coverage == "followed_by_disallowed_changes"


def test_a_file_with_more_revisions_than_any_court_document_is_refused_quickly(
    docs: pdfs.CourtDocuments, archived: bytes
) -> None:
    """Each revision costs every earlier signature a comparison: 1000 empty revisions took
    a minute. Harmless ones (the catalog written again unchanged) change nothing, so a few
    pass; past the limit the file is refused before anything is compared."""

    def rewrite_catalog(writer: IncrementalPdfFileWriter) -> None:
        writer.update_container(writer.root)

    data = archived
    for _ in range(3):
        data = _append(data, rewrite_catalog)
    assert verify(docs, data, *ALL_SIGNERS).passed

    revisions = PdfFileReader(io.BytesIO(data)).xrefs.total_revisions
    for _ in range(MAX_REVISIONS + 1 - revisions):
        data = _append(data, rewrite_catalog)
    assert PdfFileReader(io.BytesIO(data)).xrefs.total_revisions == MAX_REVISIONS + 1
    report = verify(docs, data, *ALL_SIGNERS)
    assert not report.passed
    assert report.indication == "TOTAL-FAILED"
    assert report.reasons[0].code == "too_many_revisions"
    assert report.signatures == ()


# --- Bytes an update does not list ----------------------------------------------------------


def _hand_update(
    data: bytes,
    listed: dict[int, bytes],
    *,
    table: bool = False,
    unlisted: bytes = b"",
    packed: tuple[bytes, dict[int, int]] | None = None,
) -> bytes:
    """Append an update written by hand, as a careful forger would: ``listed`` objects at
    their offsets, ``unlisted`` bytes before them, and in an xref ``table`` or stream. An
    xref stream may also list objects ``packed`` in a new object stream: its bytes (from
    ``<<`` to ``endstream``), and which object is at which index in it."""
    reader = PdfFileReader(io.BytesIO(data))
    trailer = reader.trailer
    size = max([int(trailer["/Size"]), *(n + 1 for n in listed)])
    out = bytearray(data) + unlisted
    rows: dict[int, tuple[int, int, int]] = {}  # number → (type, field 2, field 3)
    for number, body in listed.items():
        rows[number] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    if packed is not None:
        stream, members = packed
        rows[size] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (size, stream)
        rows.update({number: (2, size, index) for number, index in members.items()})
        size += 1
    ids = b"/Info %s/ID %s" % (_raw(trailer.raw_get("/Info")), _raw(trailer.raw_get("/ID")))
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    xref_at = len(out)
    if table:
        out += b"xref\n" + b"".join(
            b"%d 1\n%010d 00000 n \n" % (number, rows[number][1]) for number in sorted(rows)
        )
        out += b"trailer\n<</Size %d/Root %d 0 R%s/Prev %d>>\n" % (
            size, reader.root_ref.idnum, ids, previous
        )  # fmt: skip
    else:
        rows[size] = (1, xref_at, 0)
        index = b" ".join(b"%d 1" % n for n in sorted(rows))
        entries = b"".join(
            bytes([kind]) + f2.to_bytes(4, "big") + f3.to_bytes(2, "big")
            for kind, f2, f3 in (rows[n] for n in sorted(rows))
        )
        out += b"%d 0 obj\n<</Type/XRef/Size %d/Index[%s]/W[1 4 2]/Root %d 0 R%s/Prev %d" % (
            size, size + 1, index, reader.root_ref.idnum, ids, previous
        )  # fmt: skip
        out += b"/Length %d>>stream\n%s\nendstream\nendobj\n" % (len(entries), entries)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _new_moddate(reader: PdfFileReader) -> dict[int, bytes]:
    """The document information again with a /ModDate: a change validation updates make."""
    info = reader.trailer.raw_get("/Info")
    entries = b"".join(
        b"%s %s" % (k.encode(), _raw(v))
        for k, v in reader.trailer["/Info"].items()
        if k != "/ModDate"
    )
    return {info.reference.idnum: b"<<%s/ModDate (D:20261207120000Z)>>" % entries}


_XMP = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"


def _new_metadata(reader: PdfFileReader, number: int, stream: bytes) -> dict[int, bytes]:
    """The catalog pointing its /Metadata at new object ``number``, written as ``stream``
    (an XMP stream, as a PAdES update may add): the objects of such an update."""
    catalog = reader.root
    entries = b"".join(
        b"%s %s " % (k.encode(), _raw(catalog.raw_get(k))) for k in catalog if k != "/Metadata"
    )
    return {number: stream, reader.root_ref.idnum: b"<<%s/Metadata %d 0 R>>" % (entries, number)}


def _xmp_stream(xmp: bytes) -> bytes:
    return b"<</Type/Metadata/Subtype/XML/Length %d>>stream\n%s\nendstream" % (len(xmp), xmp)


@pytest.mark.parametrize("table", [True, False], ids=["table", "stream"])
def test_a_hand_written_update_of_what_validation_data_may_change_passes(
    docs: pdfs.CourtDocuments, archived: bytes, table: bool
) -> None:
    """The byte accounting reads both kinds of section as other writers lay them out."""
    reader = PdfFileReader(io.BytesIO(archived))
    update = _hand_update(archived, _new_moddate(reader), table=table)
    assert verify(docs, update, *ALL_SIGNERS).passed


@pytest.mark.parametrize("table", [True, False], ids=["table", "stream"])
def test_an_unlisted_object_in_an_update_fails(
    docs: pdfs.CourtDocuments, archived: bytes, table: bool, tmp_path: Path
) -> None:
    """A forged copy of page 1's content, and a trailer for a rebuilding reader to start
    from, beside an allowed change and listed nowhere: pyHanko never reads them and poppler
    shows the signed page — until anything makes poppler rebuild the table, when it takes
    the copy (``test_an_xref_entry_of_unknown_type_is_malformed`` was one such trigger)."""
    reader = PdfFileReader(io.BytesIO(archived))
    number, blank = _blank_content(reader)
    hidden = b"%d 0 obj\n%s\nendobj\ntrailer\n<</Size %d/Root %d 0 R>>\n" % (
        number, blank, int(reader.trailer["/Size"]), reader.root_ref.idnum
    )  # fmt: skip
    forged = _hand_update(archived, _new_moddate(reader), table=table, unlisted=hidden)
    assert "受理通知书" in _text(forged, tmp_path)  # dormant

    report = verify(docs, forged, *ALL_SIGNERS)
    _assert_modified(report, "that its cross-reference section does not list")


@pytest.mark.parametrize(
    ("where", "detail"),
    [
        ("a comment between objects", "that its cross-reference section does not list"),
        ("bytes after the section", "where startxref and %%EOF belong"),
        ("a startxref to another section", "not its section's"),
    ],
)
def test_an_update_laid_out_otherwise_than_its_section_says_fails(
    docs: pdfs.CourtDocuments, archived: bytes, where: str, detail: str
) -> None:
    """Nothing but whitespace lies between an update's listed objects, its section and the
    startxref that points at that section."""
    genuine = _hand_update(archived, _new_moddate(PdfFileReader(io.BytesIO(archived))))
    tail = re.search(rb"startxref\n(\d+)\n%%EOF\n$", genuine)
    assert tail is not None
    if where == "a comment between objects":
        forged = _hand_update(
            archived, _new_moddate(PdfFileReader(io.BytesIO(archived))), unlisted=b"% note\n"
        )
    elif where == "bytes after the section":
        forged = genuine[: tail.start()] + b"(junk)\n" + genuine[tail.start() :]
    else:  # the first of two updates ends pointing at the section before its own
        previous = re.findall(rb"startxref\s+(\d+)", archived)[-1]
        assert len(previous) == len(tail[1])
        second = _hand_update(genuine, _new_moddate(PdfFileReader(io.BytesIO(genuine))))
        forged = second[: tail.start(1)] + previous + second[tail.end(1) :]
    report = verify(docs, forged, *ALL_SIGNERS)
    assert not report.passed
    assert any(detail in reason.detail for reason in report.reasons), report.reasons


@pytest.mark.parametrize(
    "payload",
    [
        b"<!--\n%d 0 obj\n<</Length 0>>stream\n\nendstream\nendobj\n-->",
        b"<!--\ntrailer\n<</Root %d 0 R>>\n-->",
    ],
    ids=["object", "trailer"],
)
def test_an_object_or_trailer_inside_a_listed_stream_fails(
    docs: pdfs.CourtDocuments, archived: bytes, payload: bytes
) -> None:
    """A rebuilding reader scans stream payloads too: a forged object or trailer inside the
    new XMP metadata (which the catalog may gain after signing) is as good as unlisted."""
    reader = PdfFileReader(io.BytesIO(archived))
    number, _ = _blank_content(reader)
    size = int(reader.trailer["/Size"])
    xmp = _XMP.replace(b"/>", b">%s</x:xmpmeta>" % (payload % number))  # in an XML comment
    forged = _hand_update(archived, _new_metadata(reader, size, _xmp_stream(xmp)))
    report = verify(docs, forged, *ALL_SIGNERS)
    _assert_modified(report, "which is no object or trailer its cross-reference section lists")


def _object_stream(members: list[tuple[int, bytes, bytes]], *, first: int = 2000) -> bytes:
    """An object stream whose header gives its first object the offset /First: ISO 32000-1
    (and pyHanko) read object i at /First + offset_i; poppler 22.12 reads the first object at
    max(/First, offset_0) from the stream's start and the others relative to it. Each member
    is (number, what pyHanko reads, what poppler reads)."""
    slot = max(len(view) for _, mine, theirs in members for view in (mine, theirs)) + 1
    offsets = [first + i * slot for i in range(len(members))]
    header = b" ".join(b"%d %d" % (n, at) for (n, _, _), at in zip(members, offsets, strict=True))
    poppler = b"".join(theirs.ljust(slot) for _, _, theirs in members)
    pyhanko = b"".join(mine.ljust(slot) for _, mine, _ in members)
    body = header.ljust(first) + poppler.ljust(first) + pyhanko
    return b"<</Type/ObjStm/N %d/First %d/Length %d>>stream\n%s\nendstream" % (
        len(members), first, len(body), body
    )  # fmt: skip


def test_an_object_stream_two_readers_read_differently_fails(
    docs: pdfs.CourtDocuments, archived: bytes, tmp_path: Path
) -> None:
    """A third review's forgery: page 1 rewritten in an object stream, an identical copy
    where pyHanko reads it (nothing changed: every signature passed) and a page without
    content where poppler reads it. No update after signing needs an object stream (pyHanko
    writes none), so none is accepted there."""
    reader = PdfFileReader(io.BytesIO(archived))
    page_ref = reader.root["/Pages"]["/Kids"].raw_get(0).reference
    genuine = _raw(reader.get_object(page_ref))
    content = reader.get_object(page_ref).raw_get("/Contents")
    blank = genuine.replace(b"/Contents %s" % _raw(content), b"/Contents []")
    assert blank != genuine
    forged = _hand_update(
        archived,
        {},
        packed=(_object_stream([(page_ref.idnum, genuine, blank)]), {page_ref.idnum: 0}),
    )
    assert "受理通知书" not in _text(forged, tmp_path)  # what poppler shows: a blank page

    report = verify(docs, forged, *ALL_SIGNERS)
    _assert_modified(report, f"puts object {page_ref.idnum} in object stream")


@pytest.mark.parametrize(
    ("metadata", "detail"),
    [
        # pyHanko reads the data from the comment (its /Length counts from there), poppler
        # from after the end of the line.
        (b"<</Type/Metadata/Subtype/XML/Length %d>>stream <!---->\n%s\nendstream", "stream line"),
        # A lone CR ends no stream line (ISO 32000-1 §7.3.8.1).
        (b"<</Type/Metadata/Subtype/XML/Length %d>>stream\r%s\nendstream", "bad stream line"),
        (b"<</Type/Metadata/Subtype %% note\n/XML/Length %d>>stream\n%s\nendstream", "syntax"),
        (b"<</Type/Metadata/Subtype/XML/Length %d >>stream\n%s\n\nendstream", "/Length says"),
    ],
    ids=["junk after stream", "CR alone", "comment", "bytes after the data"],
)
def test_an_object_in_syntax_readers_may_read_differently_fails(
    docs: pdfs.CourtDocuments, archived: bytes, metadata: bytes, detail: str
) -> None:
    """Updates after signing are written in plain syntax (pyHanko's): where readers'
    tolerances differ — the bytes after the stream keyword, a comment — is refused. The
    same update in plain syntax passes: the rule is about syntax, not about XMP."""
    reader = PdfFileReader(io.BytesIO(archived))
    size = int(reader.trailer["/Size"])
    length = len(_XMP) + (len(b"<!---->\n") if b"stream <!---->" in metadata else 0)
    forged = _hand_update(archived, _new_metadata(reader, size, metadata % (length, _XMP)))
    _assert_modified(verify(docs, forged, *ALL_SIGNERS), detail)

    genuine = _hand_update(archived, _new_metadata(reader, size, _xmp_stream(_XMP)))
    assert verify(docs, genuine, *ALL_SIGNERS).passed


def test_a_page_s_content_array_adopted_into_the_dss_cannot_be_rewritten(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """A document whose page content is an array of streams (a renderer may write one),
    signed and sealed. Update 1 points a DSS /VRI entry's /Cert at that array, unchanged;
    update 2 rewrites the array — now "part of the DSS" — to a new blank stream: the page
    goes blank while this module's rule saw only validation data (pyHanko's difference
    analysis caught the rewrite: the array is also the page's). The adoption is refused
    now, so the rule no longer leans on pyHanko for it."""

    def contents_as_array(writer: IncrementalPdfFileWriter) -> None:
        page = writer.root["/Pages"]["/Kids"][0]
        array = writer.add_object(generic.ArrayObject([page.raw_get("/Contents")]))
        _set(writer, page, "/Contents", array)

    unsigned = _append(docs.unsigned, contents_as_array)
    signed = pdfs.sign_as_party(unsigned, docs.alice, "PartyA", docs.timestamper)
    signed = pdfs.sign_as_party(signed, docs.bob, "PartyB", docs.timestamper)
    sealed = pdfs.seal_archived(signed, docs.pki, docs.timestamper)
    assert verify(docs, sealed, *ALL_SIGNERS).passed
    array_ref = PdfFileReader(io.BytesIO(sealed)).root["/Pages"]["/Kids"][0].raw_get("/Contents")

    def adopt(writer: IncrementalPdfFileWriter) -> None:
        dss = writer.root["/DSS"]
        entry = generic.DictionaryObject({pdf_name("/Cert"): array_ref})
        _set(writer, dss, "/VRI", generic.DictionaryObject({pdf_name("/" + "A" * 40): entry}))

    def rewrite(writer: IncrementalPdfFileWriter) -> None:
        array = writer.root["/Pages"]["/Kids"][0].raw_get("/Contents").get_object()
        array.clear()
        array.append(writer.add_object(generic.StreamObject(stream_data=b"")))
        writer.update_container(array)

    adopted = _append(sealed, adopt)
    forged = _append(adopted, rewrite)
    assert "受理通知书" not in _text(forged, tmp_path)  # the page is blank

    _assert_modified(verify(docs, adopted, *ALL_SIGNERS), "adopts existing object")
    _assert_modified(verify(docs, forged, *ALL_SIGNERS), "adopts existing object")


def _pdfinfo(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "shown.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("table", "entry"),
    [(True, "/Root"), (False, "/Root"), (True, "/Info")],
    ids=["table without /Root", "stream without /Root", "table without /Info"],
)
def test_a_newest_trailer_missing_what_the_last_one_had_fails(
    docs: pdfs.CourtDocuments, archived: bytes, table: bool, entry: str, tmp_path: Path
) -> None:
    """A second review (2026-12-07): pyHanko merges trailers and took /Root or /Info from an
    older one, so the update was a harmless /ModDate change; poppler reads the newest alone
    and could not open the file (no /Root) or lost the title (no /Info)."""
    reader = PdfFileReader(io.BytesIO(archived))
    update = _hand_update(archived, _new_moddate(reader), table=table)
    tail = update[len(archived) :]
    value = b"%s %s" % (entry.encode(), _raw(reader.trailer.raw_get(entry)))
    assert tail.count(value) == 1
    forged = archived + tail.replace(value, b" " * len(value))  # the offsets stay right
    if entry == "/Root":
        assert _pdfinfo(forged, tmp_path).returncode != 0
    else:
        assert "受理通知书" in _pdfinfo(archived, tmp_path).stdout
        assert "受理通知书" not in _pdfinfo(forged, tmp_path).stdout

    _assert_modified(verify(docs, forged, *ALL_SIGNERS), f"has a trailer without {entry}")


def test_an_object_number_past_what_readers_open_fails(
    docs: pdfs.CourtDocuments, archived: bytes, tmp_path: Path
) -> None:
    """The same review: an xref table listing the new XMP as object 100,000,000 (and /Size
    past it) passed; poppler could not open the file. ISO 32000-1 annex C's 8,388,607
    objects bound tables as they already bound xref streams."""
    reader = PdfFileReader(io.BytesIO(archived))
    metadata = _new_metadata(reader, 100_000_000, _xmp_stream(_XMP))
    forged = _hand_update(archived, metadata, table=True)
    assert _pdfinfo(forged, tmp_path).returncode != 0

    _assert_modified(verify(docs, forged, *ALL_SIGNERS), "out of bounds")


def test_the_xmp_metadata_may_change_only_its_dates_and_producer(
    docs: pdfs.CourtDocuments, archived: bytes, tmp_path: Path
) -> None:
    """The second review: the XMP could be rewritten freely after signing, so its title
    could say what the document information may not (a /Title change is refused)."""
    reader = PdfFileReader(io.BytesIO(archived))
    size = int(reader.trailer["/Size"])
    title = "调解协议（金额一百万元）"
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmp:ModifyDate="2030-01-01T00:00:00Z"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{title}</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    forged = _hand_update(archived, _new_metadata(reader, size, _xmp_stream(xmp)))
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    meta = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, check=True)
    assert title in meta.stdout.decode()

    _assert_modified(verify(docs, forged, *ALL_SIGNERS), "changes the XMP metadata's")
    # Only the modification date changed: that is what saving a document does.
    dated = xmp.replace(b"<dc:title>", b"<!--").replace(b"</dc:title>", b"-->")
    assert verify(
        docs, _hand_update(archived, _new_metadata(reader, size, _xmp_stream(dated))), *ALL_SIGNERS
    ).passed


# --- Between signatures: what party B may do to what party A signed ------------------------


def test_a_party_cannot_add_a_signature_box_after_another_party_signed(
    docs: pdfs.CourtDocuments,
) -> None:
    """A third review: B created a visible field of their own over the amount A signed
    (pyHanko calls a new signature field form filling), drew another amount in it, and A's
    signature passed. People sign in the boxes the court placed; only the seal may still
    place its own."""
    over_the_amount = (200, 552, 300, 569)
    forged = pdfs.sign_as_party(
        docs.one_party, docs.bob, "PartyB", docs.timestamper, box=over_the_amount
    )
    report = verify(docs, forged, PARTY_A, PARTY_B)
    assert not report.passed
    assert any(r.code == "box_placed_after_signing" for r in report.reasons), report.reasons
    # Signing invisibly (as every party in these fixtures does) still passes.
    assert verify(docs, docs.two_parties, PARTY_A, PARTY_B).passed


def test_a_revision_between_signatures_is_held_to_the_same_byte_rules(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """A third review: before signing, B appended the page tree in an object stream that
    pyHanko reads as unchanged and poppler otherwise (there: another page with a forged
    number; here: no page at all), then signed. Only pyHanko judged that revision (it is not
    after the last signature), and A's signature passed."""
    reader = PdfFileReader(io.BytesIO(docs.one_party))
    pages_ref = reader.root.raw_get("/Pages").reference
    genuine = _raw(reader.get_object(pages_ref))
    empty = b"<</Type/Pages/Kids[]/Count 0>>"
    stream = _object_stream([(pages_ref.idnum, genuine, empty)])
    slipped = _hand_update(docs.one_party, {}, packed=(stream, {pages_ref.idnum: 0}))
    forged = pdfs.sign_as_party(slipped, docs.bob, "PartyB", docs.timestamper)
    assert "Invalid page count 0" in _pdfinfo(forged, tmp_path).stderr  # poppler: no page

    report = verify(docs, forged, PARTY_A, PARTY_B)
    alice, _bob = report.signatures
    assert alice.indication == "TOTAL-FAILED"
    assert alice.coverage == "followed_by_disallowed_changes"
    assert not report.passed
    assert any("in object stream" in r.detail for r in report.reasons), report.reasons
