"""Signatures by keys held on phones: prepared by the server, signed on the phone, finished."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from documents.remote_signing import finish_signature, prepare_signature
from documents.rendering import render_pdf
from signing.errors import BadSignature
from signing.keystore import FileKeyStore
from signing.pki import EVENT_CA, ROOT, TSA, CourtPKI, DeviceSubject
from signing.tsa import CourtTimeStamper, TimeStampAuthority
from tests.documents import pdfs


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> CourtPKI:
    root = tmp_path_factory.mktemp("pki")
    authority = CourtPKI(
        FileKeyStore(root / "keys", b"a passphrase long enough"),
        root / "pki",
        court_name="测试法院",
        base_url="http://127.0.0.1:8000",
    )
    authority.init()
    return authority


@pytest.fixture(scope="module")
def blank(pki: CourtPKI) -> bytes:
    now = dt.datetime.now(dt.UTC)
    pdf = render_pdf(
        "acceptance_notice.html",
        {
            "court_name": "测试法院",
            "number": None,
            "recipient": "刘小明",
            "kind_name": "起诉状",
            "submission_id": "s1",
            "signed_at": now,
            "case_number": None,
            "title": "t",
            "manifest_sha256": "ab" * 32,
            "log_index": 0,
            "issued_at": now,
        },
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for i, name in enumerate(("party-1", "party-2")):
        append_signature_field(
            writer, SigFieldSpec(name, box=(80 + 200 * i, 80, 240 + 200 * i, 150))
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _phone(pki: CourtPKI, name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "phone")]))
        .sign(key, hashes.SHA256())
    )
    return key, pki.issue_device_certificate(csr, DeviceSubject(name, f"acct-{name}"), days=30)


def _stamper(pki: CourtPKI) -> CourtTimeStamper:
    return CourtTimeStamper(
        TimeStampAuthority(pki.certificate(TSA), pki.ec_key(TSA), [pki.certificate(ROOT)])
    )


def _context(pki: CourtPKI) -> ValidationContext:
    root = asn1_x509.Certificate.load(
        pki.certificate(ROOT).public_bytes(serialization.Encoding.DER)
    )
    return ValidationContext(trust_roots=[root], allow_fetching=False)


def test_two_phones_sign_and_every_signature_validates(
    pki: CourtPKI, blank: bytes, tmp_path: Path
) -> None:
    chain = [pki.certificate(EVENT_CA), pki.certificate(ROOT)]
    pdf = blank
    for field, name in (("party-1", "刘小明"), ("party-2", "孙某")):
        key, cert = _phone(pki, name)
        prepared = prepare_signature(pdf, field_name=field, certificate=cert, chain=chain)
        # The phone needs only the digest of the signed attributes, never the document.
        signature = key.sign(prepared.attributes_digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        pdf = finish_signature(
            prepared, signature, certificate=cert, chain=chain, timestamper=_stamper(pki)
        )
    reader = PdfFileReader(io.BytesIO(pdf))
    names = []
    for embedded in reader.embedded_signatures:
        status = validate_pdf_signature(embedded, _context(pki))
        assert status.intact
        assert status.valid
        assert status.trusted
        assert status.timestamp_validity is not None
        assert status.timestamp_validity.valid
        names.append(embedded.signer_cert.subject.native["common_name"])
    assert names == ["刘小明", "孙某"]


def test_a_signature_by_another_key_is_refused_before_anything_is_written(
    pki: CourtPKI, blank: bytes
) -> None:
    chain = [pki.certificate(EVENT_CA), pki.certificate(ROOT)]
    _key, cert = _phone(pki, "刘小明")
    prepared = prepare_signature(blank, field_name="party-1", certificate=cert, chain=chain)
    thief = ec.generate_private_key(ec.SECP256R1())
    forged = thief.sign(prepared.signed_attributes, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(BadSignature):
        finish_signature(prepared, forged, certificate=cert, chain=chain, timestamper=_stamper(pki))


def test_the_prepared_revision_appends_and_never_rewrites(pki: CourtPKI, blank: bytes) -> None:
    chain = [pki.certificate(EVENT_CA), pki.certificate(ROOT)]
    key, cert = _phone(pki, "刘小明")
    prepared = prepare_signature(blank, field_name="party-1", certificate=cert, chain=chain)
    assert prepared.prepared_pdf.startswith(blank)
    signed = finish_signature(
        prepared,
        key.sign(prepared.signed_attributes, ec.ECDSA(hashes.SHA256())),
        certificate=cert,
        chain=chain,
        timestamper=_stamper(pki),
    )
    assert signed.startswith(blank)
    assert len(signed) == len(prepared.prepared_pdf)


def test_a_handwritten_signature_is_the_fields_appearance(
    pki: CourtPKI, blank: bytes, tmp_path: Path
) -> None:

    from PIL import Image, ImageDraw

    drawing = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(drawing).line((10, 80, 90, 20, 160, 70, 290, 30), fill="black", width=6)
    png = io.BytesIO()
    drawing.save(png, "PNG")
    signed = _sign_as_liu(pki, blank, png.getvalue())
    (tmp_path / "signed.pdf").write_bytes(signed)
    assert ("300", "100") in pdfs.image_sizes(tmp_path / "signed.pdf")  # the drawing, in the field
    (embedded,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert validate_pdf_signature(embedded, _context(pki)).bottom_line


def test_without_a_drawing_the_box_shows_the_signer_s_name_as_a_picture(
    pki: CourtPKI, blank: bytes, tmp_path: Path
) -> None:
    """No text in the box: pyHanko's default stamp wrote "þÿ D i g i t a l l y" in Courier
    with the name as mojibake, running past the box (``verify.appearances`` refuses text)."""
    import subprocess

    signed = _sign_as_liu(pki, blank)
    (tmp_path / "signed.pdf").write_bytes(signed)
    (tmp_path / "blank.pdf").write_bytes(blank)

    def text(name: str) -> str:
        run = ["pdftotext", tmp_path / name, "-"]
        return subprocess.run(run, capture_output=True, text=True, check=True).stdout

    assert text("signed.pdf") == text("blank.pdf")  # nothing extractable was added
    assert ("510", "213") in pdfs.image_sizes(tmp_path / "signed.pdf")  # the name stamp


def _sign_as_liu(pki: CourtPKI, blank: bytes, handwriting_png: bytes | None = None) -> bytes:
    chain = [pki.certificate(EVENT_CA), pki.certificate(ROOT)]
    key, cert = _phone(pki, "刘小明")
    prepared = prepare_signature(
        blank, field_name="party-1", certificate=cert, chain=chain, handwriting_png=handwriting_png
    )
    return finish_signature(
        prepared,
        key.sign(prepared.signed_attributes, ec.ECDSA(hashes.SHA256())),
        certificate=cert,
        chain=chain,
        timestamper=_stamper(pki),
    )


def test_the_name_stamp_draws_the_name_and_fits_long_ones() -> None:
    from PIL import Image

    from documents.signature_stamp import HEIGHT, WIDTH, name_picture

    when = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)

    def ink(name: str) -> Image.Image:
        picture = name_picture(name, when)
        assert picture.size == (WIDTH, HEIGHT)
        return picture.getchannel("A")

    short, other = ink("刘小明"), ink("孙某")
    assert short.getbbox() is not None
    assert short.tobytes() != other.tobytes()  # the name is what differs
    # A long name is drawn smaller, inside the frame's margins, not cut at its edges.
    long = ink("阿卜杜热合曼·买买提依明·艾尔肯江·阿不都拉")
    name_row = long.crop((10, 20, WIDTH - 10, round(HEIGHT * 0.62)))  # inside the frame
    left, _top, right, _bottom = name_row.getbbox() or (0, 0, 0, 0)
    assert left > 4
    assert right < name_row.width - 4


def test_handwriting_is_drawn_in_the_court_s_ink_so_a_seal_picture_is_no_seal() -> None:
    """A picture of the red court seal uploaded as "handwriting" would make an unsealed
    document look sealed on screen; in the one ink colour it does not."""
    from PIL import Image, ImageDraw

    from documents.seal_image import draw_seal
    from documents.signature_stamp import INK, in_ink

    with Image.open(io.BytesIO(draw_seal("测试人民法院", size=120))) as seal:
        inked = in_ink(seal)
    colours = {pixel[:3] for pixel in inked.get_flattened_data() if pixel[3] > 0}
    assert colours == {INK[:3]}  # nothing red is left
    assert inked.getchannel("A").getbbox() is not None  # the drawing itself is kept
    # Dark strokes on an opaque white canvas: the canvas goes, the strokes stay.
    canvas = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(canvas).line((10, 60, 190, 20), fill="black", width=8)
    alpha = in_ink(canvas).getchannel("A")
    assert alpha.getpixel((2, 2)) == 0
    assert alpha.getpixel((100, 40)) == 255
