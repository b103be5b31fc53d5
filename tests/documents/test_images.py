"""Page photos: which files are accepted, which are refused and why, and the copies people see.

Every input is built here with Pillow or pillow-heif; the tests need no fixture files.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import (
    ExifTags,
    Image,
    ImageCms,
    ImageDraw,
    ImageFile,
    ImageFilter,
    ImageFont,
    ImageStat,
)

from documents.errors import DocumentsError, PageRejected
from documents.images import (
    MIN_SHARPNESS,
    QUALITY_SIDE,
    ImageLimits,
    detect_format,
    inspect_page,
    laplacian_variance,
    make_display_copy,
    quality_warnings,
)

RED = (220, 20, 20)


def document(size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """Draw a sharp page: black lines of text inside a ruled frame on near-white paper."""
    width, height = size
    page = Image.new("RGB", size, (250, 250, 248))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=max(12, height // 40))
    step = height // 24
    for row, y in enumerate(range(step * 2, height - step * 2, step)):
        line = f"{row:02d} The plaintiff applies for repayment of the loan."
        draw.text((width // 12, y), line, fill="black", font=font)
    draw.rectangle(
        (width // 16, step, width - width // 16, height - step), outline="black", width=3
    )
    return page


def save(img: Image.Image, path: Path, image_format: str, **params: object) -> Path:
    img.save(path, image_format, **params)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data).to_bytes(4, "big")
    return len(data).to_bytes(4, "big") + kind + data + crc


def bomb_png(path: Path, side: int) -> Path:
    """Write a real, valid 1-bit PNG of side x side pixels: a few kB that decode to side² pixels."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )
    return path


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "hidden inside a photo")
    return buffer.getvalue()


def exif_taken_at(taken: str) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: taken}
    return exif


def jpeg_taken_at(path: Path, taken: str) -> Path:
    return save(document((640, 480)), path, "JPEG", exif=exif_taken_at(taken))


def phone_jpeg(path: Path) -> Path:
    """A phone photo held upright: stored landscape with orientation 6, GPS, ICC, XMP, comment."""
    page = document((600, 400))
    # Stored top-left corner; a 90° clockwise turn for display puts it top-right.
    ImageDraw.Draw(page).rectangle((0, 0, 59, 59), fill=RED)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 50.0),
    }
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return save(
        page,
        path,
        "JPEG",
        exif=exif,
        icc_profile=srgb,
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>home address</x:xmpmeta>",
        comment=b"taken at home",
    )


def cut_in_half(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def append(path: Path, data: bytes) -> Path:
    with path.open("ab") as f:
        f.write(data)
    return path


# --- accepted pages --------------------------------------------------------------------------

ValidBuilder = Callable[[Path], Path]

VALID: dict[str, tuple[ValidBuilder, str]] = {
    "heic": (lambda d: save(document((640, 480)), d / "p.heic", "HEIF", quality=80), "heif"),
    "phone_jpeg": (lambda d: phone_jpeg(d / "p.jpg"), "jpeg"),
    "progressive_jpeg": (
        lambda d: save(document((640, 480)), d / "p.jpg", "JPEG", progressive=True),
        "jpeg",
    ),
    "cmyk_jpeg": (
        lambda d: save(document((640, 480)).convert("CMYK"), d / "p.jpg", "JPEG"),
        "jpeg",
    ),
    "png_alpha": (lambda d: save(document((640, 480)).convert("RGBA"), d / "p.png", "PNG"), "png"),
    "webp": (lambda d: save(document((640, 480)), d / "p.webp", "WEBP"), "webp"),
    "png_named_jpg": (lambda d: save(document((640, 480)), d / "p.jpg", "PNG"), "png"),
    "jpeg_zero_padded": (
        lambda d: append(save(document((640, 480)), d / "p.jpg", "JPEG"), bytes(4)),
        "jpeg",
    ),
    "mpo_gain_map": (
        lambda d: save(
            document((640, 480)),
            d / "p.jpg",
            "MPO",
            save_all=True,
            append_images=[Image.new("L", (320, 240), 128)],
        ),
        "jpeg",
    ),
}


@pytest.mark.parametrize("case", list(VALID))
def test_valid_page_is_accepted_and_gets_a_display_copy(tmp_path: Path, case: str) -> None:
    build, expected = VALID[case]
    path = build(tmp_path)

    assert detect_format(path) == expected
    info = inspect_page(path)
    assert info.format == expected
    assert info.byte_size == path.stat().st_size

    out = tmp_path / "display.jpg"
    display = make_display_copy(path, out)
    data = out.read_bytes()
    assert display.byte_size == len(data)
    assert display.sha256 == hashlib.sha256(data).hexdigest()
    with Image.open(out) as copy:
        assert copy.format == "JPEG"
        assert copy.mode == "RGB"
        assert copy.size == (display.width, display.height)


def test_phone_photo_copy_is_upright_and_carries_no_metadata(tmp_path: Path) -> None:
    source = phone_jpeg(tmp_path / "p.jpg")
    with Image.open(source) as original:
        # The twin: the source really holds what the copy must not.
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert {"exif", "icc_profile", "xmp", "comment"} <= original.info.keys()
    assert inspect_page(source).orientation == 6

    out = tmp_path / "display.jpg"
    display = make_display_copy(source, out)

    assert (display.width, display.height) == (400, 600)
    with Image.open(out) as copy:
        assert copy.size == (400, 600)
        assert not {"exif", "icc_profile", "xmp", "comment", "progressive"} & copy.info.keys()
        assert not copy.getexif()
        corner = copy.getpixel((370, 30))
    assert corner == pytest.approx(RED, abs=40)
    raw = out.read_bytes()
    for marker in (b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com/xap", b"taken at home"):
        assert marker not in raw


def test_display_copy_is_shrunk_to_fit_but_never_enlarged(tmp_path: Path) -> None:
    wide = save(document((3000, 1000)), tmp_path / "wide.jpg", "JPEG")
    small = save(document((640, 480)), tmp_path / "small.jpg", "JPEG")

    assert make_display_copy(wide, tmp_path / "a.jpg").width == 2000
    assert make_display_copy(wide, tmp_path / "b.jpg", max_side=1000).height == 333
    shown = make_display_copy(small, tmp_path / "c.jpg")
    assert (shown.width, shown.height) == (640, 480)


def test_display_copy_replaces_the_file_atomically(tmp_path: Path) -> None:
    source = save(document((640, 480)), tmp_path / "p.png", "PNG")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "display.jpg").write_bytes(b"an older copy")

    make_display_copy(source, out_dir / "display.jpg")

    assert [p.name for p in out_dir.iterdir()] == ["display.jpg"]
    assert (out_dir / "display.jpg").read_bytes().startswith(b"\xff\xd8\xff")


def test_display_copy_keeps_colours_of_cmyk_transparent_and_16_bit_pages(tmp_path: Path) -> None:
    cmyk = save(Image.new("RGB", (64, 64), RED).convert("CMYK"), tmp_path / "c.jpg", "JPEG")
    clear = save(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), tmp_path / "a.png", "PNG")
    gray16 = save(Image.new("I;16", (64, 64), 32768), tmp_path / "g.png", "PNG")

    def centre(source: Path) -> tuple[int, int, int]:
        out = source.with_suffix(".display.jpg")
        make_display_copy(source, out)
        with Image.open(out) as copy:
            pixel = copy.getpixel((32, 32))
        assert isinstance(pixel, tuple)
        return pixel[0], pixel[1], pixel[2]

    assert centre(cmyk) == pytest.approx(RED, abs=40)
    assert min(centre(clear)) > 245  # transparent becomes paper white, not black
    assert all(120 <= channel <= 136 for channel in centre(gray16))  # not clipped to white


def test_black_and_white_scan_is_averaged_not_thinned(tmp_path: Path) -> None:
    scan = Image.new("1", (4000, 200), 1)
    draw = ImageDraw.Draw(scan)
    for x in range(0, 4000, 2):  # one-pixel strokes that picking every other pixel would miss
        draw.line((x, 0, x, 199), fill=0)
    source = save(scan, tmp_path / "scan.png", "PNG")
    out = tmp_path / "display.jpg"

    make_display_copy(source, out)

    with Image.open(out) as copy:
        assert copy.size == (2000, 100)
        assert 80 < ImageStat.Stat(copy.convert("L")).mean[0] < 180


# --- refused pages ---------------------------------------------------------------------------

RejectBuilder = Callable[[Path], tuple[Path, ImageLimits]]
NO_LIMITS = ImageLimits()


def written(path: Path, data: bytes) -> tuple[Path, ImageLimits]:
    path.write_bytes(data)
    return path, NO_LIMITS


def jpeg(d: Path) -> Path:
    return save(document((640, 480)), d / "p.jpg", "JPEG")


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    document((320, 240)).save(buffer, "JPEG")
    return buffer.getvalue()


REFUSED: dict[str, tuple[RejectBuilder, str]] = {
    "empty": (lambda d: written(d / "p.jpg", b""), "empty"),
    "text_named_jpg": (lambda d: written(d / "p.jpg", b"I owe nothing.\n"), "unsupported_type"),
    "pdf_named_jpg": (
        lambda d: written(d / "p.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        "unsupported_type",
    ),
    "svg": (
        lambda d: written(
            d / "p.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>",
        ),
        "unsupported_type",
    ),
    "gif": (
        lambda d: (save(Image.new("P", (8, 8)), d / "p.jpg", "GIF"), NO_LIMITS),
        "unsupported_type",
    ),
    "zip": (lambda d: written(d / "p.jpg", zip_archive()), "unsupported_type"),
    "over_byte_limit": (lambda d: (jpeg(d), ImageLimits(max_bytes=1000)), "too_large"),
    "truncated_jpeg": (lambda d: (cut_in_half(jpeg(d)), NO_LIMITS), "truncated"),
    "truncated_png": (
        lambda d: (cut_in_half(save(document((640, 480)), d / "p.png", "PNG")), NO_LIMITS),
        "truncated",
    ),
    "truncated_heic": (
        lambda d: (
            cut_in_half(save(document((640, 480)), d / "p.heic", "HEIF", quality=80)),
            NO_LIMITS,
        ),
        "truncated",
    ),
    "jpeg_with_zip_appended": (
        lambda d: (append(jpeg(d), zip_archive()), NO_LIMITS),
        "trailing_data",
    ),
    "jpeg_with_jpeg_appended_without_mpf": (
        lambda d: (append(jpeg(d), jpeg_bytes()), NO_LIMITS),
        "trailing_data",
    ),
    "png_with_data_after_iend": (
        lambda d: (append(save(document((64, 64)), d / "p.png", "PNG"), b"secret"), NO_LIMITS),
        "trailing_data",
    ),
    "webp_with_data_after_riff": (
        lambda d: (append(save(document((64, 64)), d / "p.webp", "WEBP"), b"secret"), NO_LIMITS),
        "trailing_data",
    ),
    "bomb_over_our_limit": (
        lambda d: (bomb_png(d / "p.png", 8000), NO_LIMITS),
        "decompression_bomb",
    ),
    "bomb_over_pillow_guard": (
        lambda d: (bomb_png(d / "p.png", 20_000), NO_LIMITS),
        "decompression_bomb",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_page_is_refused_with_its_code(tmp_path: Path, case: str) -> None:
    build, code = REFUSED[case]
    path, limits = build(tmp_path)

    with pytest.raises(PageRejected) as refused:
        inspect_page(path, limits)

    assert refused.value.code == code
    assert refused.value.reason
    assert isinstance(refused.value, DocumentsError)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "empty"),
        (b"GIF89a\x01\x00\x01\x00", "unsupported_type"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1miaf", "unsupported_type"),
    ],
)
def test_format_is_detected_from_content_only(tmp_path: Path, payload: bytes, code: str) -> None:
    path = tmp_path / "photo.heic"
    path.write_bytes(payload)

    with pytest.raises(PageRejected) as refused:
        detect_format(path)

    assert refused.value.code == code


def test_bomb_is_refused_before_any_pixel_is_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = bomb_png(tmp_path / "p.png", 3000)

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(PageRejected) as refused:
        inspect_page(bomb, ImageLimits(max_pixels=1_000_000))

    assert refused.value.code == "decompression_bomb"


def test_truncation_is_caught_even_when_pillow_accepts_truncated_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # WeasyPrint sets this process-wide when imported; the end-of-image walk does not care.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = jpeg(tmp_path).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(PageRejected) as refused:
        inspect_page(cut)

    assert refused.value.code == "truncated"


# --- capture time ----------------------------------------------------------------------------


def test_capture_time_is_read_as_china_time(tmp_path: Path) -> None:
    path = jpeg_taken_at(tmp_path / "p.jpg", "2026:11:20 14:30:00")

    assert inspect_page(path).captured_at == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


def test_capture_time_from_heic(tmp_path: Path) -> None:
    exif = exif_taken_at("2026:01:01 07:59:59")
    path = save(document((640, 480)), tmp_path / "p.heic", "HEIF", quality=80, exif=exif)

    assert inspect_page(path).captured_at == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("taken", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday"])
def test_unset_capture_time_is_unknown(tmp_path: Path, taken: str) -> None:
    path = jpeg_taken_at(tmp_path / "p.jpg", taken)

    assert inspect_page(path).captured_at is None


def test_photo_without_exif_has_no_capture_time(tmp_path: Path) -> None:
    info = inspect_page(jpeg(tmp_path))

    assert info.captured_at is None
    assert info.orientation == 1


# --- quality warnings ------------------------------------------------------------------------


def measure_sharpness(img: Image.Image) -> float:
    reduced = img.copy()
    reduced.thumbnail((QUALITY_SIDE, QUALITY_SIDE), Image.Resampling.LANCZOS)
    return laplacian_variance(reduced.convert("L"))


def test_blur_threshold_separates_sharp_and_blurred_pages() -> None:
    page = document()

    sharp = measure_sharpness(page)
    blurred = measure_sharpness(page.filter(ImageFilter.GaussianBlur(4)))

    # Calibration: sharp ≈ 1700, blurred ≈ 5; the threshold needs a wide margin on both sides.
    assert sharp > 10 * MIN_SHARPNESS
    assert blurred < MIN_SHARPNESS / 10


def test_sharp_bright_large_page_has_no_warning(tmp_path: Path) -> None:
    path = save(document(), tmp_path / "p.png", "PNG", compress_level=1)

    assert quality_warnings(path) == []


@pytest.mark.parametrize(
    ("make_page", "code"),
    [
        (lambda: document().point(lambda value: value * 0.15), "too_dark"),
        (lambda: document((800, 600)), "too_small"),
        (lambda: document().filter(ImageFilter.GaussianBlur(4)), "too_blurry"),
    ],
    ids=["dark", "small", "blurred"],
)
def test_poor_photo_gets_its_warning(
    tmp_path: Path, make_page: Callable[[], Image.Image], code: str
) -> None:
    path = save(make_page(), tmp_path / "p.png", "PNG", compress_level=1)

    warnings = quality_warnings(path)

    assert [warning.code for warning in warnings] == [code]
    (warning,) = warnings
    assert warning.measured < warning.threshold
    assert warning.message_zh
    assert warning.message_en


def test_one_decode_gives_the_same_display_copy_and_warnings(tmp_path: Path) -> None:
    from documents.images import derive_page

    source = jpeg(tmp_path)
    display, warnings = derive_page(source, tmp_path / "one.jpg")
    assert display == make_display_copy(source, tmp_path / "two.jpg")
    assert [w.code for w in warnings] == [w.code for w in quality_warnings(source)]
