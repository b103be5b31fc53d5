"""Party B's own signing revision: what a seventh adversarial review (2026-12-07) passed, each
with party A's signature and the sealed B-LTA document passing while poppler showed or
extracted something A did not sign. Each now fails: a box placed after the first signature
whose /Rect cannot be read counts as visible; a signing revision may change the document
information and XMP only as an update after the seal may; a document time stamp between
signatures is invisible and bare; and no signature box shows text (it is extracted from
outside the box, where nobody sees it)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.stamp import NoOpStampStyle

from tests.documents import pdfs
from tests.documents.test_verify import ALL_SIGNERS, PARTY_A, PARTY_B, verify
from tests.documents.test_verify_attacks import _add_field, _append, _text
from tests.documents.test_verify_between_signatures import (
    B_BOX,
    OVER_THE_NUMBER,
    _placed,
    _preplaced,
    _refused,
    _seal,
    _sign_existing,
    appearance,
    child_widget,
)

WIDTH = OVER_THE_NUMBER[2] - OVER_THE_NUMBER[0]
HEIGHT = OVER_THE_NUMBER[3] - OVER_THE_NUMBER[1]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> pdfs.CourtDocuments:
    return pdfs.build_documents(tmp_path_factory.mktemp("court"))


def _form(
    writer: IncrementalPdfFileWriter, content: bytes, box: tuple[int, int] = (WIDTH, HEIGHT)
) -> generic.IndirectObject:
    return appearance(writer, content, box)


WHITE_OUT = b"1 g 0 0 %d %d re f" % (WIDTH, HEIGHT)


def _white_pixels_over_the_number(pdf: bytes, tmp_path: Path) -> float:
    """The share of white pixels poppler renders where A's signed number is printed."""
    (tmp_path / "page.pdf").write_bytes(pdf)
    subprocess.run(
        [
            *("pdftoppm", "-r", "72", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile"),
            *(str(tmp_path / "page.pdf"), str(tmp_path / "page")),
        ],
        check=True,
    )
    with Image.open(tmp_path / "page.png") as page:
        height = page.height
        x1, y1, x2, y2 = OVER_THE_NUMBER
        crop = page.convert("L").crop((x1, height - y2, x2, height - y1))
        histogram = crop.histogram()
        return sum(histogram[250:]) / sum(histogram)


# --- F1: B's own box, with an indirect number in its /Rect --------------------------------


def test_b_s_own_box_with_an_indirect_coordinate_over_a_s_number_fails(
    docs: pdfs.CourtDocuments, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The box rule computed float() of each /Rect entry: an indirect one raised, and the
    rule skipped the field as if its signature had failed for it (it had not); pyHanko took
    the field for invisible. poppler drew B's white box over the number A signed."""
    import pyhanko.sign.signers.cms_embedder as embedder

    # B's own signing tool: pyHanko's cannot size a box with an indirect coordinate.
    monkeypatch.setattr(embedder, "annot_width_height", lambda annot: (0, 0))

    def own_box(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
        appearance = _form(writer, WHITE_OUT)
        top = writer.add_object(generic.NumberObject(OVER_THE_NUMBER[3]))
        appearance.get_object()[pdf_name("/Note")] = top  # "explained" as appearance data
        rect = [*(generic.NumberObject(v) for v in OVER_THE_NUMBER[:3]), top]
        field = generic.DictionaryObject(
            {
                pdf_name("/FT"): pdf_name("/Sig"),
                pdf_name("/T"): pdf_string("PartyB"),
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/P"): page_ref,
                pdf_name("/Rect"): generic.ArrayObject(rect),
                pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
            }
        )
        _add_field(writer, page_ref, field)

    signed = _sign_existing(
        docs, docs.one_party, docs.bob, "PartyB", edit=own_box, style=NoOpStampStyle()
    )
    sealed = _seal(docs, signed)
    assert _white_pixels_over_the_number(docs.one_party, tmp_path) < 0.95
    assert _white_pixels_over_the_number(sealed, tmp_path) == 1.0  # poppler whites it out
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        _refused(report, "box_placed_after_signing")


# --- F2: a visible document time stamp between signatures ---------------------------------


def test_a_visible_document_time_stamp_between_signatures_fails(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """After the seal a document time stamp's field must have no area and no appearance;
    between signatures nothing said so, and pyHanko took its white box over A's number for
    form filling of the time stamp's own field."""
    one = _preplaced(docs)
    writer = IncrementalPdfFileWriter(io.BytesIO(one))
    fields.append_signature_field(writer, fields.SigFieldSpec("Stamp", box=OVER_THE_NUMBER))
    stamp = next(
        f.get_object()
        for f in writer.root["/AcroForm"]["/Fields"]
        if f.get_object()["/T"] == "Stamp"
    )
    stamp[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): _form(writer, WHITE_OUT)})
    writer.update_container(stamp)
    stamped = PdfTimeStamper(docs.timestamper, field_name="Stamp").timestamp_pdf(writer, "sha256")
    signed = _sign_existing(docs, stamped.getvalue(), docs.bob, "PartyB")
    sealed = _seal(docs, signed)
    assert _white_pixels_over_the_number(sealed, tmp_path) == 1.0
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        _refused(report, "with ['/AP']")


# --- F3: the title, rewritten in B's signing revision -------------------------------------

FORGED_TITLE = "调解协议（被告同意支付一百万元）"


def _retitle_info(writer: IncrementalPdfFileWriter) -> None:
    info = writer.trailer["/Info"]
    info[pdf_name("/Title")] = pdf_string(FORGED_TITLE)
    writer.update_container(info)


def _retitle_with_pyhanko(writer: IncrementalPdfFileWriter) -> None:
    """pyHanko's own API: the title goes to /Info and to the XMP dc:title."""
    writer.document_meta.title = FORGED_TITLE


@pytest.mark.parametrize(
    ("edit", "shown_by", "refusal"),
    [
        (_retitle_info, ["pdfinfo"], "changes the document information ['/Title']"),
        (_retitle_with_pyhanko, ["pdfinfo", "-meta"], "changes the XMP metadata's"),
    ],
)
def test_b_s_signing_revision_may_not_retitle_the_document(
    docs: pdfs.CourtDocuments,
    tmp_path: Path,
    edit: Callable[[IncrementalPdfFileWriter], None],
    shown_by: list[str],
    refusal: str,
) -> None:
    """pyHanko's analysis lets form filling change any document information and any XMP;
    the court's rule for unsigned revisions did not look at signing ones."""
    signed = _sign_existing(docs, _preplaced(docs), docs.bob, "PartyB", edit=edit)
    sealed = _seal(docs, signed)
    (tmp_path / "f.pdf").write_bytes(sealed)
    shown = subprocess.run([*shown_by, str(tmp_path / "f.pdf")], capture_output=True, check=True)
    assert FORGED_TITLE in shown.stdout.decode()  # the seal keeps the forged title
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        _refused(report, refusal)


# --- F4: text B's appearance draws outside B's box ----------------------------------------


OWN = b"BT 0 g /F1 10 Tf 5 25 Td (Signed: Li Si) Tj ET "
HIDDEN = {
    # Outside the box, on the row of the number A signed (positions relative to B's box).
    "outside": OWN
    + b"BT 0 g /F1 12 Tf %d %d Td (payable by Zhang San) Tj ET"
    % (
        OVER_THE_NUMBER[0] - B_BOX[0],
        OVER_THE_NUMBER[1] - B_BOX[1] + 5,
    ),
    # Inside it, in text render mode 3: drawn nowhere, extracted anyway.
    "invisible": OWN + b"BT 3 Tr /F1 4 Tf 5 5 Td (payable by Zhang San) Tj ET",
}


@pytest.mark.parametrize("where", sorted(HIDDEN))
def test_text_b_s_appearance_hides_from_view_fails(
    docs: pdfs.CourtDocuments, tmp_path: Path, where: str
) -> None:
    """Clipped to B's box, or not drawn at all, on screen; extracted all the same:
    pdftotext read the forged line right after A's number."""
    box = (B_BOX[2] - B_BOX[0], B_BOX[3] - B_BOX[1])

    def draw(writer: IncrementalPdfFileWriter) -> None:
        party_b = next(
            f.get_object()
            for f in writer.root["/AcroForm"]["/Fields"]
            if f.get_object()["/T"] == "PartyB"
        )
        appearance = _form(writer, HIDDEN[where], box)
        party_b[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): appearance})
        writer.update_container(party_b)

    signed = _sign_existing(
        docs, _preplaced(docs), docs.bob, "PartyB", edit=draw, style=NoOpStampStyle()
    )
    sealed = _seal(docs, signed)
    assert "by Zhang San" in _text(sealed, tmp_path)
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        assert not report.passed
        assert any(r.code == "text_in_signature_box" for r in report.reasons), report.reasons


def test_the_court_s_name_stamp_shows_no_text_and_passes(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """A party who drew no signature gets a picture of their name: nothing extractable in
    the box (pyHanko's Courier stamp read "þÿ D i g i t a l l y" and ran past the box)."""
    signed = _sign_existing(docs, _preplaced(docs), docs.bob, "PartyB")
    sealed = _seal(docs, signed)
    text = _text(sealed, tmp_path)
    assert "Digitally" not in text
    assert "þÿ" not in text
    assert verify(docs, sealed, *ALL_SIGNERS).passed
    (tmp_path / "sealed.pdf").write_bytes(sealed)
    assert ("510", "213") in pdfs.image_sizes(tmp_path / "sealed.pdf")  # the name stamp


# --- An eighth review: the XMP rewritten in place; the first signer's own revision --------


def _retitle_xmp_in_place(writer: IncrementalPdfFileWriter) -> None:
    """Rewrite the XMP stream where it is, after pyHanko's own update of it, and leave the
    catalog as it was (the rule judged the XMP only when the catalog changed)."""
    update = writer._update_meta

    def then_retitle() -> None:
        update()
        metadata = writer.root["/Metadata"]
        title = (
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{FORGED_TITLE}</rdf:li>'
            "</rdf:Alt></dc:title></rdf:Description></rdf:RDF>"
        )
        metadata._data = metadata.data.replace(b"</rdf:RDF>", title.encode(), 1)
        metadata._encoded_data = None
        writer.update_container(metadata)
        writer.objects.pop((writer.root_ref.generation, writer.root_ref.idnum), None)

    writer._update_meta = then_retitle  # type: ignore[method-assign]


def test_b_s_signing_revision_may_not_rewrite_the_xmp_in_place(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    signed = _sign_existing(docs, _preplaced(docs), docs.bob, "PartyB", edit=_retitle_xmp_in_place)
    reader = PdfFileReader(io.BytesIO(signed))
    last = reader.xrefs.total_revisions - 1
    assert reader.root_ref not in reader.xrefs.explicit_refs_in_revision(last)  # in place
    sealed = _seal(docs, signed)
    (tmp_path / "f.pdf").write_bytes(sealed)
    shown = subprocess.run(
        ["pdfinfo", "-meta", str(tmp_path / "f.pdf")], capture_output=True, check=True
    )
    assert FORGED_TITLE in shown.stdout.decode()
    for report in (verify(docs, signed, PARTY_A, PARTY_B), verify(docs, sealed, *ALL_SIGNERS)):
        _refused(report, "changes the XMP metadata's")


def _white_out_on_the_page(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    x1, y1, x2, y2 = OVER_THE_NUMBER
    patch = writer.add_object(
        generic.StreamObject(stream_data=b"q 1 g %d %d %d %d re f Q" % (x1, y1, x2 - x1, y2 - y1))
    )
    # The page's own content leaves its scale in force: save and restore around it.
    save, restore = (writer.add_object(generic.StreamObject(stream_data=op)) for op in (b"q", b"Q"))
    page[pdf_name("/Contents")] = generic.ArrayObject(
        [save, page.raw_get("/Contents"), restore, patch]
    )
    writer.update_container(page)


@pytest.mark.parametrize(
    ("edit", "refusal"),
    [
        (_white_out_on_the_page, "changes page object"),
        (_retitle_info, "changes the document information ['/Title']"),
    ],
)
def test_the_first_signer_s_own_revision_may_change_nothing_else(
    docs: pdfs.CourtDocuments,
    tmp_path: Path,
    edit: Callable[[IncrementalPdfFileWriter], None],
    refusal: str,
) -> None:
    """No later signature's analysis compares A's own signing revision (each starts from
    its own): A whited out the court's number there, B signed, the court sealed, and every
    signature passed."""
    one = _sign_existing(docs, _placed(docs), docs.alice, "PartyA", edit=edit)
    sealed = _seal(docs, _sign_existing(docs, one, docs.bob, "PartyB"))
    if edit is _white_out_on_the_page:
        assert _white_pixels_over_the_number(sealed, tmp_path) == 1.0
    report = verify(docs, sealed, *ALL_SIGNERS)
    assert report.indication == "TOTAL-FAILED", report.reasons
    assert any(
        r.code == "first_signature_changes_document" and refusal in r.detail for r in report.reasons
    ), report.reasons
    assert all(s.indication == "TOTAL-PASSED" for s in report.signatures)  # each one is valid


def test_the_first_signature_in_a_placed_box_passes(docs: pdfs.CourtDocuments) -> None:
    """What pyHanko's first signature writes (the PAdES /Extensions, /Version, a new XMP
    with its dates and producer) is allowed."""
    one = _sign_existing(docs, _placed(docs), docs.alice, "PartyA")
    assert verify(docs, one, PARTY_A).passed


def test_text_in_a_signature_widget_the_field_tree_does_not_list_fails(
    docs: pdfs.CourtDocuments, tmp_path: Path
) -> None:
    """A page widget whose /Parent is a signature field that does not list it in /Kids:
    poppler draws it, and pdftotext read its text."""

    def stray_widget(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
        field = writer.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/FT"): pdf_name("/Sig"),
                    pdf_name("/T"): pdf_string("Stray"),
                    pdf_name("/Kids"): generic.ArrayObject(),
                }
            )
        )
        widget = child_widget(page_ref, field, _form(writer, b"BT /F1 9 Tf 2 5 Td (SECRET) Tj ET"))
        page = page_ref.get_object()
        page[pdf_name("/Annots")] = generic.ArrayObject([writer.add_object(widget)])
        writer.update_container(page)
        writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
            {pdf_name("/Fields"): generic.ArrayObject([field])}
        )
        writer.update_root()

    issued = _append(docs.unsigned, stray_widget)
    signed = pdfs.sign_as_party(issued, docs.alice, "PartyA", docs.timestamper)
    assert "SECRET" in _text(signed, tmp_path)
    report = verify(docs, signed, PARTY_A)
    assert not report.passed
    assert any(r.code == "text_in_signature_box" for r in report.reasons), report.reasons


# --- A ninth review: stream entries poppler reads otherwise; generations ----------------


def _stream_with(key: str) -> Callable[[IncrementalPdfFileWriter], None]:
    def add(writer: IncrementalPdfFileWriter) -> None:
        parameters = generic.DictionaryObject({pdf_name("/Predictor"): generic.NumberObject(10)})
        writer.add_object(generic.StreamObject({pdf_name(key): parameters}, stream_data=b"x"))

    return add


def _content_in_generation_one(writer: IncrementalPdfFileWriter) -> None:
    """Object N as "N 1 obj": poppler resolves every "N 0 R" (the page's content) to null."""
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    content = page.raw_get("/Contents")
    number = (content[0] if isinstance(content, generic.ArrayObject) else content).idnum
    writer.objects[(1, number)] = generic.StreamObject(stream_data=b"")


@pytest.mark.parametrize(
    ("edit", "refusal"),
    [
        (_stream_with("/DP"), "poppler reads /F as /Filter"),
        (_stream_with("/F"), "poppler reads /F as /Filter"),
    ],
)
def test_b_s_signing_revision_may_write_nothing_readers_read_otherwise(
    docs: pdfs.CourtDocuments, edit: Callable[[IncrementalPdfFileWriter], None], refusal: str
) -> None:
    signed = _sign_existing(docs, _preplaced(docs), docs.bob, "PartyB", edit=edit)
    for report in (
        verify(docs, signed, PARTY_A, PARTY_B),
        verify(docs, _seal(docs, signed), *ALL_SIGNERS),
    ):
        _refused(report, refusal)


def test_an_object_rewritten_in_another_generation_is_refused(
    docs: pdfs.CourtDocuments,
) -> None:
    """pyHanko's strict reading already refuses an orphaned generation (the court's seal
    could not be applied to it either); the byte rules refuse it as well."""
    signed = _sign_existing(
        docs, _preplaced(docs), docs.bob, "PartyB", edit=_content_in_generation_one
    )
    report = verify(docs, signed, PARTY_A, PARTY_B)
    assert report.indication == "TOTAL-FAILED", report.reasons
    assert any("generation" in r.detail for r in report.reasons), report.reasons
