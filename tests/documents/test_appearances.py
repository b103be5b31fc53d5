"""What a signature box's appearance may draw (documents.verify.appearances): pictures and
lines, never text, however the text is reached or spelled."""

from __future__ import annotations

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name

from documents.verify.appearances import (
    TextInAppearance,
    check_signature_widgets,
    signature_widgets_on,
)

IMAGE = generic.StreamObject(
    {
        pdf_name("/Type"): pdf_name("/XObject"),
        pdf_name("/Subtype"): pdf_name("/Image"),
        pdf_name("/Width"): generic.NumberObject(1),
        pdf_name("/Height"): generic.NumberObject(1),
    },
    stream_data=b"\x00",
)


def _form(
    content: bytes, resources: dict[str, generic.PdfObject] | None = None
) -> generic.StreamObject:
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 170, 71)]
            ),
            pdf_name("/Resources"): generic.DictionaryObject(
                {pdf_name(k): v for k, v in (resources or {}).items()}
            ),
        },
        stream_data=content,
    )


def _xobjects(**named: generic.PdfObject) -> generic.DictionaryObject:
    return generic.DictionaryObject({pdf_name("/" + k): v for k, v in named.items()})


def _check(appearance: generic.StreamObject) -> None:
    widget = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
        }
    )
    check_signature_widgets([("PartyB", widget)])


def test_the_court_s_picture_stamps_pass() -> None:
    """What pyHanko's StaticStampStyle writes for the seal, a drawing or the name stamp."""
    _check(
        _form(
            b"q q /BackgroundGS gs 0.127 0 0 0.127 55 5 cm q 480 0 0 480 0 0 cm /Img1 Do Q Q Q",
            {
                "/ExtGState": generic.DictionaryObject(
                    {
                        pdf_name("/BackgroundGS"): generic.DictionaryObject(
                            {pdf_name("/CA"): generic.NumberObject(1)}
                        )
                    }
                ),
                "/XObject": _xobjects(Img1=IMAGE),
            },
        )
    )


def test_lines_and_comments_that_merely_mention_text_operators_pass() -> None:
    _check(_form(b"% BT (x) Tj ET\n/Tx BMC q 0.5 w [3 1] 0 d 0 0 m 10 10 l S Q EMC"))


@pytest.mark.parametrize(
    "content",
    [
        b"BT /F1 9 Tf 5 5 Td (forged) Tj ET",
        b"BT/F1 9 Tf(forged)Tj ET",  # no white space anywhere
        b"BT /F1 9 Tf [(for) -20 (ged)] TJ ET",
        b"BT /F1 9 Tf 12 TL (forged) ' ET",
        b'BT /F1 9 Tf 0 0 (forged) " ET',
        b"BT /F1 9 Tf (a \\) (b) c) 10Tj ET",  # escaped and nested parentheses, a glued number
        b"BT 3 Tr /F1 9 Tf (drawn nowhere, extracted anyway) Tj ET",
    ],
)
def test_text_is_refused_however_it_is_written(content: bytes) -> None:
    with pytest.raises(TextInAppearance, match="shows text"):
        _check(_form(content))


def test_text_in_a_form_the_appearance_draws_is_refused() -> None:
    inner = _form(b"BT /F1 9 Tf (forged) Tj ET")
    outer = _form(b"q 1 0 0 1 300 0 cm /Fm1 Do Q", {"/XObject": _xobjects(Fm1=inner)})
    with pytest.raises(TextInAppearance, match="shows text"):
        _check(outer)


@pytest.mark.parametrize(
    ("content", "resources", "refusal"),
    [
        # /ActualText replaces what is extracted for the span.
        (b"/Span <</ActualText (forged)>> BDC EMC", {}, "marked content"),
        (b"BI /W 1 /H 1 /CS /G /BPC 8 ID \x00 EI", {}, "inline image"),
        # A tiling pattern's cell is a content stream of its own.
        (b"/Pattern cs /P1 scn 0 0 10 10 re f", {}, "pattern"),
        # A name the appearance's resources lack is looked up in the page's.
        (b"/Im9 Do", {}, "lacks"),
        (b"(unclosed", {}, "unclosed"),
    ],
)
def test_what_could_hide_text_is_refused(
    content: bytes, resources: dict[str, generic.PdfObject], refusal: str
) -> None:
    with pytest.raises(TextInAppearance, match=refusal):
        _check(_form(content, resources))


def test_a_soft_mask_is_refused() -> None:
    group = _form(b"BT /F1 9 Tf (forged) Tj ET")
    state = generic.DictionaryObject(
        {
            pdf_name("/SMask"): generic.DictionaryObject(
                {pdf_name("/S"): pdf_name("/Luminosity"), pdf_name("/G"): group}
            )
        }
    )
    resources = {"/ExtGState": generic.DictionaryObject({pdf_name("/GS1"): state})}
    with pytest.raises(TextInAppearance, match="soft mask"):
        _check(_form(b"/GS1 gs 0 0 10 10 re f", resources))


def test_forms_nested_without_end_are_refused() -> None:
    form = _form(b"/Fm1 Do")
    for _ in range(12):
        form = _form(b"/Fm1 Do", {"/XObject": _xobjects(Fm1=form)})
    with pytest.raises(TextInAppearance):
        _check(form)


# --- An eighth review: where this scanner and poppler's lexer parted -------------------


@pytest.mark.parametrize("after", [b"%", b"(", b"<"])
def test_an_escaped_name_is_refused(after: bytes) -> None:
    """poppler reads "#" and a hex digit, then takes the next byte whatever it is: "/A#4%"
    swallowed the "%" that began a comment here, and "(...) Tj" behind it showed."""
    with pytest.raises(TextInAppearance, match="escaped name"):
        _check(_form(b"q /A#4" + after + b" (forged) Tj Q"))


def test_an_appearance_with_decoding_parameters_is_refused() -> None:
    """pyHanko's PNG predictor ignores /Colors: one stream read "T\\0j" for the scanner and
    "Tj" for poppler. The court's appearances are plain or Flate, without parameters."""
    appearance = _form(b"0 0 m 10 10 l S")
    appearance[pdf_name("/DecodeParms")] = generic.DictionaryObject(
        {
            pdf_name("/Predictor"): generic.NumberObject(12),
            pdf_name("/Colors"): generic.NumberObject(3),
        }
    )
    with pytest.raises(TextInAppearance, match="encoded"):
        _check(appearance)


def test_a_widget_of_a_signature_field_missing_from_its_kids_is_scanned() -> None:
    """poppler draws a page's widget whose /Parent is a signature field although the field's
    /Kids do not list it; the field-tree walk alone never saw its appearance."""
    field = generic.DictionaryObject(
        {pdf_name("/FT"): pdf_name("/Sig"), pdf_name("/T"): generic.pdf_string("PartyB")}
    )
    stray = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Parent"): field,
            pdf_name("/AP"): generic.DictionaryObject(
                {pdf_name("/N"): _form(b"BT /F1 9 Tf (SECRET) Tj ET")}
            ),
        }
    )
    page = generic.DictionaryObject({pdf_name("/Annots"): generic.ArrayObject([stray])})
    check_signature_widgets([("PartyB", field)])  # the field itself shows nothing
    with pytest.raises(TextInAppearance, match="shows text"):
        check_signature_widgets(signature_widgets_on([page]))


# --- A ninth review: what poppler's interpreter does with operands ------------------------

THIRTY_TWO = b" ".join([b"1"] * 32)


@pytest.mark.parametrize(
    "content",
    [
        # poppler reads "-" as the number 0, drops it as a 34th operand, and shows the text.
        THIRTY_TWO + b" (forged) -Tj",
        THIRTY_TWO + b" [(forged)] +TJ",
        b"(forged) 1.-Tj",
        b"10 10 m 20 20 l S pop",  # an operator that draws nothing known is refused too
    ],
)
def test_anything_but_known_drawing_operators_is_refused(content: bytes) -> None:
    with pytest.raises(TextInAppearance, match=r"malformed number|no drawing"):
        _check(_form(content))


def test_an_operator_given_more_operands_than_it_takes_is_refused() -> None:
    """poppler keeps 33 operands and takes an operator's last ones: this drew form /Fx,
    with its text, where a scanner reading the last operand saw image /Im0."""
    text = _form(b"BT /F1 9 Tf (forged) Tj ET")
    content = b"q " + THIRTY_TWO + b" /Fx /Im0 Do Q"
    with pytest.raises(TextInAppearance, match="operands"):
        _check(_form(content, {"/XObject": _xobjects(Fx=text, Im0=IMAGE)}))


@pytest.mark.parametrize("key", ["/F", "/DP", "/FFilter", "/DecodeParms"])
def test_a_form_dictionary_a_reader_may_decode_otherwise_is_refused(key: str) -> None:
    """poppler reads /F as /Filter and /DP as /DecodeParms; pyHanko does not."""
    appearance = _form(b"0 0 m 10 10 l S")
    appearance[pdf_name(key)] = pdf_name("/FlateDecode")
    with pytest.raises(TextInAppearance, match=r"encoded|form has"):
        _check(appearance)
