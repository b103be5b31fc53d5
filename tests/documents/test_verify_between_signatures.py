"""Party B between signatures: what a sixth adversarial review (2026-12-07) passed through
the revisions between party A's signature and the seal, where only pyHanko's difference
analysis judged, each with A's signature passing and poppler showing something A did not
sign. Each now fails: between signatures only signing revisions may come, a signing
revision adds no field but its own, and a person's box placed after the first signature is
found on its /Kids widgets too."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import NoOpStampStyle

from documents.verify import VerificationReport
from tests.documents import pdfs
from tests.documents.test_verify import ALL_SIGNERS, PARTY_A, PARTY_B, verify
from tests.documents.test_verify_attacks import _add_field, _append, _script_field, _set, _text

OVER_THE_NUMBER = (200, 552, 520, 572)  # over "S-2026-000123" in A's signed table
A_BOX, B_BOX = (60, 80, 250, 140), (320, 80, 520, 140)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> pdfs.CourtDocuments:
    return pdfs.build_documents(tmp_path_factory.mktemp("court"))


def _sign_existing(
    docs: pdfs.CourtDocuments,
    pdf: bytes,
    party: pdfs.Party,
    field: str,
    edit: Any = None,
    style: Any = None,
) -> bytes:
    """Sign an existing field; ``edit`` adds objects to the signing revision itself and
    ``style`` (NoOpStampStyle) keeps an appearance the signer wrote (by default the court's
    name stamp is drawn)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if edit is not None:
        edit(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=field, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    return (
        signers.PdfSigner(
            meta,
            signer=pdfs.party_signer(party),
            timestamper=docs.timestamper,
            stamp_style=style or pdfs.stamp(party),
        )
        .sign_pdf(writer)
        .getvalue()
    )


def _seal(docs: pdfs.CourtDocuments, pdf: bytes) -> bytes:
    return pdfs.seal_archived(pdf, docs.pki, docs.timestamper)


def _ap(
    writer: IncrementalPdfFileWriter, w: int, h: int, text: bytes = b"RMB 1,000,000.00"
) -> generic.IndirectObject:
    return appearance(
        writer, b"1 g 0 0 %d %d re f BT 0 g /F1 10 Tf 2 5 Td (%s) Tj ET" % (w, h, text), (w, h)
    )


def appearance(
    writer: IncrementalPdfFileWriter, content: bytes, box: tuple[int, int]
) -> generic.IndirectObject:
    """An appearance stream: ``content`` in a box of ``box`` points, Helvetica as /F1."""
    font = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type1"),
                pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            }
        )
    )
    return writer.add_object(
        generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (0, 0, *box)]
                ),
                pdf_name("/Resources"): generic.DictionaryObject(
                    {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font})}
                ),
            },
            stream_data=content,
        )
    )


def child_widget(
    page_ref: generic.IndirectObject,
    parent: generic.IndirectObject,
    appearance: generic.IndirectObject,
) -> generic.DictionaryObject:
    """A printed widget over A's signed number, a child of signature field ``parent``."""
    return generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/P"): page_ref,
            pdf_name("/Parent"): parent,
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in OVER_THE_NUMBER]
            ),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
        }
    )


def _field_with_kid_widget(writer: IncrementalPdfFileWriter) -> None:
    """PartyB, a /Sig field whose one widget is a /Kids child over A's signed number, with a
    white appearance and another value. The field dictionary has no /Rect."""
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    field_ref = writer.add_object(
        generic.DictionaryObject(
            {pdf_name("/FT"): pdf_name("/Sig"), pdf_name("/T"): pdf_string("PartyB")}
        )
    )
    x1, y1, x2, y2 = OVER_THE_NUMBER
    widget_ref = writer.add_object(child_widget(page_ref, field_ref, _ap(writer, x2 - x1, y2 - y1)))
    field_ref.get_object()[pdf_name("/Kids")] = generic.ArrayObject([widget_ref])
    form = writer.root["/AcroForm"]
    form["/Fields"].append(field_ref)
    writer.update_container(form)
    page = page_ref.get_object()
    page["/Annots"].get_object().append(widget_ref) if "/Annots" in page else page.__setitem__(
        pdf_name("/Annots"), generic.ArrayObject([widget_ref])
    )
    writer.update_container(page)


def test_a_box_b_places_as_a_kid_widget_over_a_s_amount_fails(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """The box check read /Rect from the field dictionary; a field whose widget is a /Kids
    child has none, so it counted as invisible."""
    slipped = _append(docs.one_party, _field_with_kid_widget)
    signed = _sign_existing(docs, slipped, docs.bob, "PartyB", style=NoOpStampStyle())
    sealed = _seal(docs, signed)
    assert "1,000,000.00" in _text(sealed, tmp_path)  # poppler draws the forged amount
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        _refused(report, "box_placed_after_signing")


def _placed(docs: pdfs.CourtDocuments) -> bytes:
    """Court-placed PartyA and PartyB boxes at issue."""

    def add(w: IncrementalPdfFileWriter) -> None:
        fields.append_signature_field(w, fields.SigFieldSpec("PartyA", box=A_BOX))
        fields.append_signature_field(w, fields.SigFieldSpec("PartyB", box=B_BOX))

    return _append(docs.unsigned, add)


def _preplaced(docs: pdfs.CourtDocuments) -> bytes:
    """Court-placed PartyA and PartyB boxes at issue, then A signs PartyA."""
    return _sign_existing(docs, _placed(docs), docs.alice, "PartyA")


def _hidden_notes(writer: IncrementalPdfFileWriter) -> None:
    """In B's signing revision: B's own appearance for B's court-placed box carries an
    indirect number (so pyHanko explains it as PartyB's form filling), and two new unsigned
    /Sig fields over A's number use it as the last /Rect coordinate (pyHanko: no area,
    invisible, LTA update): a white widget (/MK /BG) and a FreeText with another value."""
    root = writer.root
    page_ref = root["/Pages"]["/Kids"].raw_get(0)
    number = writer.add_object(generic.NumberObject(OVER_THE_NUMBER[3]))
    party_b = next(
        f.get_object() for f in root["/AcroForm"]["/Fields"] if f.get_object()["/T"] == "PartyB"
    )
    ap = _ap(writer, B_BOX[2] - B_BOX[0], B_BOX[3] - B_BOX[1], b"")
    ap.get_object()[pdf_name("/Note")] = number
    party_b[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): ap})
    writer.update_container(party_b)
    rect = generic.ArrayObject([*(generic.NumberObject(v) for v in OVER_THE_NUMBER[:3]), number])

    def note(name: str, extra: dict[str, Any]) -> None:
        field = generic.DictionaryObject(
            {
                pdf_name("/FT"): pdf_name("/Sig"),
                pdf_name("/T"): pdf_string(name),
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/P"): page_ref,
                pdf_name("/Rect"): rect,
            }
        )
        field.update(extra)
        _add_field(writer, page_ref, field)

    white = generic.ArrayObject([generic.NumberObject(1)] * 3)
    note(
        "note1",
        {
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/MK"): generic.DictionaryObject({pdf_name("/BG"): white}),
        },
    )
    note(
        "note2",
        {
            pdf_name("/Subtype"): pdf_name("/FreeText"),
            pdf_name("/Contents"): pdf_string("RMB 1,000,000.00"),
            pdf_name("/DA"): pdf_string("0 0 0 rg /Helv 10 Tf"),
            pdf_name("/BS"): generic.DictionaryObject({pdf_name("/W"): generic.NumberObject(0)}),
        },
    )


def test_fields_b_adds_in_b_s_signing_revision_fail(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    one = _preplaced(docs)
    signed = _sign_existing(
        docs, one, docs.bob, "PartyB", edit=_hidden_notes, style=NoOpStampStyle()
    )
    sealed = _seal(docs, signed)
    assert "1,000,000.00" in _text(sealed, tmp_path)  # poppler draws the forged amount
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        _refused(report, "adds form fields")


@pytest.mark.parametrize("what", ["title", "script"])
def test_an_unsigned_revision_between_signatures_fails(
    docs: pdfs.CourtDocuments, tmp_path: Path, what: str
) -> None:
    """What updates.py refuses after the last signature passed between signatures."""
    one = _preplaced(docs)

    def title(w: IncrementalPdfFileWriter) -> None:
        _set(w, w.trailer["/Info"], "/Title", pdf_string("调解协议（金额一百万元）"))

    edit = title if what == "title" else _script_field
    sealed = _seal(docs, _sign_existing(docs, _append(one, edit), docs.bob, "PartyB"))
    _refused(verify(docs, sealed, *ALL_SIGNERS), "is signed by no one")
    (tmp_path / "f.pdf").write_bytes(sealed)
    args = ["pdfinfo"] if what == "title" else ["pdfinfo", "-js"]
    shown = subprocess.run([*args, str(tmp_path / "f.pdf")], capture_output=True, check=True)
    out = shown.stdout.decode()
    assert ("调解协议（金额一百万元）" if what == "title" else "app.alert(1)") in out  # shown


def _refused(report: VerificationReport, detail: str) -> None:
    alice = report.signatures[0]
    assert alice.field_name == "PartyA"
    assert not report.passed
    assert report.indication == "TOTAL-FAILED", report.reasons
    assert any(detail in r.detail or detail == r.code for r in report.reasons), report.reasons


def test_the_court_s_own_flow_with_placed_boxes_still_passes(docs: pdfs.CourtDocuments) -> None:
    """Boxes placed at issue, A and B signing in them, the seal: every signature passes."""
    one = _preplaced(docs)
    two = _sign_existing(docs, one, docs.bob, "PartyB")
    assert verify(docs, two, PARTY_A, PARTY_B).passed
    assert verify(docs, _seal(docs, two), *ALL_SIGNERS).passed
