"""Check photographed court papers and make the copies people look at.

A litigant files a paper by photographing it with a phone, so every file arriving here is
untrusted. ``inspect_page`` accepts JPEG, PNG, WebP and HEIF recognised by their bytes alone,
decodes the whole image, and refuses truncated files, decompression bombs and data hidden after
the image (a JPEG with a ZIP appended opens as either). ``make_display_copy`` writes the copy shown
on screen: upright, RGB, bounded in size and stripped of every metadata block, so the GPS position
a phone writes into a photo never leaves the court. ``quality_warnings`` tells the litigant at
once when a photo is likely unreadable, before a clerk has to ask for it again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO, Literal

import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageFile, ImageFilter, ImageOps, ImageStat

from documents.errors import PageRejected

log = logging.getLogger(__name__)

# HEIF is how iPhones save photos; registering the opener is the one change to Pillow's state.
pillow_heif.register_heif_opener()

PageFormat = Literal["jpeg", "png", "webp", "heif"]
StrPath = str | os.PathLike[str]

MiB = 1024 * 1024
#: China has kept one UTC+8 time zone without daylight saving since 1991.
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: ISO BMFF major brands of HEIF images (ISO/IEC 23008-12 Annex B), as pillow-heif reads them.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
#: Pillow plugins allowed to open each detected format; no other plugin ever sees the bytes.
PILLOW_FORMATS: dict[PageFormat, list[str]] = {
    "jpeg": ["JPEG"],
    "png": ["PNG"],
    "webp": ["WEBP"],
    "heif": ["HEIF"],
}
#: Some encoders pad a JPEG after its EOI marker with a few zero bytes.
JPEG_MAX_PADDING = 16

MIN_SHORT_SIDE = 1000
MIN_BRIGHTNESS = 60.0
#: Laplacian variance, calibrated in tests/documents/test_images.py: a sharp synthetic page of
#: text measures about 1700, the same page under a Gaussian blur of radius 2 about 145 and of
#: radius 4 about 5; 100 sits near the geometric mean of the sharp and radius-4 pages.
MIN_SHARPNESS = 100.0
QUALITY_SIDE = 1024
WHITE = (255, 255, 255)
#: What Pillow and pillow-heif raise for bytes they cannot decode.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on an uploaded page, checked before any pixel is decoded."""

    max_bytes: int = 25 * MiB
    #: Width x height; a phone's main camera is at most about 50 MP.
    max_pixels: int = 50_000_000
    min_side: int = 1


DEFAULT_LIMITS = ImageLimits()


@dataclass(frozen=True)
class PageInfo:
    """What ``inspect_page`` learnt about an accepted page photo."""

    format: PageFormat
    #: Size and mode as decoded, before the EXIF orientation is applied.
    width: int
    height: int
    mode: str
    byte_size: int
    #: EXIF DateTimeOriginal, read as China time; ``None`` when absent or not a date.
    captured_at: datetime | None
    #: EXIF orientation (1-8) still to apply; HEIF decoders rotate themselves, so HEIF reports 1.
    orientation: int


@dataclass(frozen=True)
class DisplayInfo:
    """The display copy written by ``make_display_copy``."""

    width: int
    height: int
    byte_size: int
    sha256: str


@dataclass(frozen=True)
class QualityWarning:
    """A reason the photo may be hard to read; the page is still accepted."""

    code: Literal["too_small", "too_dark", "too_blurry"]
    message_zh: str
    message_en: str
    measured: float
    threshold: float


def detect_format(path: StrPath) -> PageFormat:
    """Name the image format from the file's first bytes; never trust a name or content type."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise PageRejected("empty", "the file is empty")
        return _sniff(f)


def inspect_page(path: StrPath, limits: ImageLimits = DEFAULT_LIMITS) -> PageInfo:
    """Accept a page photo only if it is a whole, bounded image with nothing hidden after it."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise PageRejected("empty", "the file is empty")
        if size > limits.max_bytes:
            raise PageRejected("too_large", f"{size} bytes is over the {limits.max_bytes} limit")
        page_format = _sniff(f)
        _check_image_end(f, page_format, size)
        with _open_bounded(f, page_format, limits) as img:
            width, height, mode = img.width, img.height, img.mode
            exif = img.getexif()
            _decode(img)
            return PageInfo(
                format=page_format,
                width=width,
                height=height,
                mode=mode,
                byte_size=size,
                captured_at=_captured_at(exif),
                orientation=_orientation(exif),
            )


def make_display_copy(
    path: StrPath,
    out_path: StrPath,
    *,
    max_side: int = 2000,
    quality: int = 85,
    limits: ImageLimits = DEFAULT_LIMITS,
) -> DisplayInfo:
    """Write an upright RGB baseline JPEG of the page, at most ``max_side``, with no metadata."""
    with open(path, "rb") as f, _open_bounded(f, _sniff(f), limits) as img:
        upright = ImageOps.exif_transpose(_shrunk(img, max_side))
    data = _encode_clean_jpeg(_to_rgb(upright), quality)
    _write_atomically(Path(out_path), data)
    return DisplayInfo(
        width=upright.width,
        height=upright.height,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def quality_warnings(
    path: StrPath, *, limits: ImageLimits = DEFAULT_LIMITS
) -> list[QualityWarning]:
    """Say whether the photo looks too small, too dark or too blurry to read."""
    with open(path, "rb") as f, _open_bounded(f, _sniff(f), limits) as img:
        short_side = min(img.size)
        gray = _to_rgb(_shrunk(img, QUALITY_SIDE)).convert("L")
    return _judge_quality(gray, short_side)


def derive_page(
    path: StrPath,
    out_path: StrPath,
    *,
    max_side: int = 2000,
    quality: int = 85,
    limits: ImageLimits = DEFAULT_LIMITS,
) -> tuple[DisplayInfo, list[QualityWarning]]:
    """Make the display copy and the quality warnings from one decode of the photo.

    The same results as ``make_display_copy`` and ``quality_warnings``, but the page is
    decoded once (at the display size) instead of twice: on the upload path that halves
    the work per page.
    """
    with open(path, "rb") as f, _open_bounded(f, _sniff(f), limits) as img:
        short_side = min(img.size)
        shrunk = _shrunk(img, max_side)
        upright = ImageOps.exif_transpose(shrunk)
    rgb = _to_rgb(upright)
    data = _encode_clean_jpeg(rgb, quality)
    _write_atomically(Path(out_path), data)
    display = DisplayInfo(
        width=upright.width,
        height=upright.height,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    small = rgb.copy()
    small.thumbnail((QUALITY_SIDE, QUALITY_SIDE), Image.Resampling.LANCZOS)
    return display, _judge_quality(small.convert("L"), short_side)


def _judge_quality(gray: Image.Image, short_side: int) -> list[QualityWarning]:
    """Warn about a small, dark or blurred page from its grayscale thumbnail."""
    found = []
    if short_side < MIN_SHORT_SIDE:
        found.append(_too_small(short_side))
    brightness = ImageStat.Stat(gray).mean[0]
    if brightness < MIN_BRIGHTNESS:
        found.append(_too_dark(brightness))
    sharpness = laplacian_variance(gray)
    if sharpness < MIN_SHARPNESS:
        found.append(_too_blurry(sharpness))
    return found


def laplacian_variance(gray: Image.Image) -> float:
    """Measure sharpness as the variance of the Laplacian of a grayscale image.

    Edges give large second derivatives and blur flattens them, so a blurred page scores low.
    """
    edges = gray.filter(_LAPLACIAN)
    width, height = edges.size
    if width > 2 and height > 2:
        # Pillow copies the outermost pixels unfiltered; counted, they would look like edges.
        edges = edges.crop((1, 1, width - 1, height - 1))
    return float(ImageStat.Stat(edges).var[0])


def _too_small(short_side: int) -> QualityWarning:
    return QualityWarning(
        code="too_small",
        message_zh="照片分辨率过低，文字可能无法看清，请靠近拍摄或使用更高分辨率。",
        message_en="The photo's resolution is too low to read; move closer and retake it.",
        measured=float(short_side),
        threshold=float(MIN_SHORT_SIDE),
    )


def _too_dark(brightness: float) -> QualityWarning:
    return QualityWarning(
        code="too_dark",
        message_zh="照片过暗，可能无法看清，请在光线充足处重新拍摄。",
        message_en="The photo is too dark to read; retake it in better light.",
        measured=brightness,
        threshold=MIN_BRIGHTNESS,
    )


def _too_blurry(sharpness: float) -> QualityWarning:
    return QualityWarning(
        code="too_blurry",
        message_zh="照片模糊，文字可能无法辨认，请保持手机稳定并对焦后重新拍摄。",
        message_en="The photo is blurred; hold the phone still, focus and retake it.",
        measured=sharpness,
        threshold=MIN_SHARPNESS,
    )


def _sniff(f: BinaryIO) -> PageFormat:
    f.seek(0)
    head = f.read(16)
    if not head:
        raise PageRejected("empty", "the file is empty")
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    raise PageRejected("unsupported_type", "not a JPEG, PNG, WebP or HEIF image")


@contextmanager
def _open_bounded(
    f: BinaryIO, page_format: PageFormat, limits: ImageLimits
) -> Iterator[ImageFile.ImageFile]:
    """Open the image header and refuse it before any pixel memory is allocated."""
    f.seek(0)
    try:
        img = Image.open(f, formats=PILLOW_FORMATS[page_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PageRejected("decompression_bomb", str(exc)) from exc
    except DECODE_ERRORS as exc:
        raise PageRejected("undecodable", f"cannot read the {page_format} header: {exc}") from exc
    with img:
        width, height = img.size
        if width * height > limits.max_pixels:
            raise PageRejected(
                "decompression_bomb",
                f"{width}x{height} is over the {limits.max_pixels}-pixel limit",
            )
        if min(width, height) < limits.min_side:
            raise PageRejected("undecodable", f"{width}x{height} is below {limits.min_side} px")
        yield img


def _decode(img: ImageFile.ImageFile) -> None:
    """Decode the whole (first) image, so damage anywhere in it is found now.

    A JPEG is decoded at 1/8 scale: libjpeg still reads and entropy-decodes every block of
    the scan, so damage is found just the same, but the pixels of a 48 MP photo take 2 MB
    instead of 144 MB and the work is a fraction.
    """
    try:
        if img.format == "JPEG":
            img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
        img.load()
    except DECODE_ERRORS as exc:
        raise _decode_failure(exc) from exc


def _shrunk(img: ImageFile.ImageFile, side: int) -> Image.Image:
    """Decode the image shrunk to fit ``side``, never enlarged; JPEGs decode at a smaller scale."""
    shrunk: Image.Image = img
    try:
        if img.format == "JPEG" and max(img.size) > side:
            # Let libjpeg scale while decoding (1/2, 1/4, 1/8) to no less than the box the
            # image will fit: less work, and memory that does not grow with the photo.
            fit = side / max(img.size)
            img.draft(img.mode, (math.ceil(img.width * fit), math.ceil(img.height * fit)))
        if img.mode in {"1", "P"}:
            # Pillow shrinks these modes by picking pixels, which loses the thin strokes of a
            # black-and-white scan; convert first so they are averaged instead.
            img.load()
            shrunk = img.convert("RGBA" if img.has_transparency_data else "RGB")
        shrunk.thumbnail((side, side), Image.Resampling.LANCZOS)
    except DECODE_ERRORS as exc:
        raise _decode_failure(exc) from exc
    return shrunk


def _decode_failure(exc: Exception) -> PageRejected:
    # Pillow reports a stream that ends early only in its message.
    if "truncated" in str(exc):
        return PageRejected("truncated", f"the image stops before its end: {exc}")
    return PageRejected("undecodable", f"the image does not decode: {exc}")


def _captured_at(exif: Image.Exif) -> datetime | None:
    """Read DateTimeOriginal (EXIF 2.32 §4.6.6, in the Exif IFD) as China time, returned in UTC."""
    raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(raw, str):
        return None
    try:
        local = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        # Cameras without a set clock write "0000:00:00 00:00:00"; the time is simply unknown.
        return None
    return local.replace(tzinfo=CHINA_TIME).astimezone(UTC)


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _check_image_end(f: BinaryIO, page_format: PageFormat, size: int) -> None:
    """Refuse a file that stops before its image ends or carries anything after it."""
    end = _IMAGE_END[page_format](f, size)
    if end > size:
        raise PageRejected("truncated", f"the image needs {end} bytes, the file has {size}")
    tail = size - end
    if tail == 0:
        return
    allowed = JPEG_MAX_PADDING if page_format == "jpeg" else 0
    if tail > allowed or _read_at(f, end, tail).strip(b"\x00"):
        raise PageRejected("trailing_data", f"{tail} bytes follow the end of the image")


def _jpeg_end(f: BinaryIO, size: int) -> int:
    end, has_mpf = _jpeg_stream_end(f, 0)
    # A Multi-Picture Format index (CIPA DC-007) declares more JPEG streams stored right after
    # the first, such as a phone's HDR gain map; each must itself end cleanly.
    while has_mpf and _read_at(f, end, 2) == b"\xff\xd8":
        end, _ = _jpeg_stream_end(f, end)
    return end


def _jpeg_stream_end(f: BinaryIO, start: int) -> tuple[int, bool]:
    """Walk one JPEG stream's markers (ITU-T T.81 B.1) to just past its EOI; note an MPF index."""
    f.seek(start + 2)
    has_mpf = False
    while True:
        marker = _next_jpeg_marker(f)
        if marker == 0xD9:
            return f.tell(), has_mpf
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # TEM and RSTn stand alone, without a length
        segment_start = f.tell()
        length = int.from_bytes(_read_exactly(f, 2), "big")
        if length < 2:
            raise PageRejected("undecodable", f"JPEG segment length {length} at {segment_start}")
        if marker == 0xE2 and length >= 6:
            has_mpf = has_mpf or _read_exactly(f, 4) == b"MPF\x00"
        f.seek(segment_start + length)
        if marker == 0xDA:
            _skip_entropy_coded_data(f)


def _next_jpeg_marker(f: BinaryIO) -> int:
    if _read_exactly(f, 1) != b"\xff":
        raise PageRejected("undecodable", f"JPEG marker expected at {f.tell() - 1}")
    byte = _read_exactly(f, 1)
    while byte == b"\xff":  # fill bytes may precede a marker (T.81 B.1.1.2)
        byte = _read_exactly(f, 1)
    if byte == b"\x00":
        raise PageRejected("undecodable", f"stuffed byte outside a scan at {f.tell() - 2}")
    return byte[0]


def _skip_entropy_coded_data(f: BinaryIO, chunk_size: int = 64 * 1024) -> None:
    """Leave ``f`` at the next marker after a scan: FF not followed by 00 or a restart marker."""
    while True:
        position = f.tell()
        chunk = f.read(chunk_size)
        if len(chunk) < 2:
            raise PageRejected("truncated", "the JPEG scan data stops before the image ends")
        index = chunk.find(b"\xff")
        while index != -1 and index + 1 < len(chunk):
            follower = chunk[index + 1]
            if follower != 0x00 and not 0xD0 <= follower <= 0xD7:
                f.seek(position + index)
                return
            index = chunk.find(b"\xff", index + 2)
        # Re-read a final lone FF with the byte after it.
        f.seek(position + (len(chunk) if index == -1 else index))


def _png_end(f: BinaryIO, size: int) -> int:
    """Walk PNG chunks (PNG 3rd ed. §5.3) to just past IEND."""
    offset = len(PNG_SIGNATURE)
    while offset <= size:
        header = _read_at(f, offset, 8)
        if len(header) < 8:
            break
        offset += 12 + int.from_bytes(header[:4], "big")
        if header[4:8] == b"IEND":
            return offset
    raise PageRejected("truncated", "the PNG stops before its IEND chunk")


def _webp_end(f: BinaryIO, size: int) -> int:
    """Read the RIFF size (RFC 9649 §2.5); a chunk of odd size is padded to even."""
    riff_size = int.from_bytes(_read_at(f, 4, 4), "little")
    return 8 + riff_size + (riff_size & 1)


def _heif_end(f: BinaryIO, size: int) -> int:
    """Walk the top-level ISO BMFF boxes (ISO/IEC 14496-12 §4.2) to the end of the last one."""
    offset = 0
    while offset < size:
        header = _read_at(f, offset, 16)
        box_type = header[4:8]
        if len(header) < 8 or not all(0x20 <= c <= 0x7E for c in box_type):
            # Box types are printable four-character codes; anything else is not a box.
            raise PageRejected("trailing_data", f"bytes at {offset} are not an ISO BMFF box")
        box_size = int.from_bytes(header[:4], "big")
        if box_size == 0:
            return size  # the last box runs to the end of the file
        if box_size == 1:
            if len(header) < 16:
                raise PageRejected("truncated", "the HEIF stops inside a box header")
            box_size = int.from_bytes(header[8:16], "big")
        if box_size < 8:
            raise PageRejected("undecodable", f"ISO BMFF box of size {box_size} at {offset}")
        offset += box_size
    return offset


_IMAGE_END: dict[PageFormat, Callable[[BinaryIO, int], int]] = {
    "jpeg": _jpeg_end,
    "png": _png_end,
    "webp": _webp_end,
    "heif": _heif_end,
}


def _read_at(f: BinaryIO, offset: int, length: int) -> bytes:
    f.seek(offset)
    return f.read(length)


def _read_exactly(f: BinaryIO, length: int) -> bytes:
    data = f.read(length)
    if len(data) < length:
        raise PageRejected("truncated", "the image stops before its end marker")
    return data


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any decoded mode to RGB as it would look on a white page."""
    if img.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N"}:
        # Pillow clips 16-bit samples to 255 when converting; scale them to 8 bits instead.
        img = img.point(lambda value: value / 257).convert("L")
    if img.has_transparency_data:
        background = Image.new("RGBA", img.size, (*WHITE, 255))
        return Image.alpha_composite(background, img.convert("RGBA")).convert("RGB")
    if img.mode in {"RGB", "CMYK"} and img.info.get("icc_profile"):
        return _icc_to_srgb(img)
    return img.convert("RGB")


def _icc_to_srgb(img: Image.Image) -> Image.Image:
    """Convert through the embedded colour profile: the copy drops it, so it must be sRGB."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(img.info["icc_profile"]))
        converted = ImageCms.profileToProfile(img, profile, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        # A broken or mismatched profile only costs colour accuracy, not the page.
        log.warning("ignoring unusable ICC profile in a page photo: %s", exc)
        return img.convert("RGB")
    return converted if converted is not None else img.convert("RGB")


def _encode_clean_jpeg(rgb: Image.Image, quality: int) -> bytes:
    # A fresh image has empty ``info``: Pillow copies a source's comment into the JPEG unless
    # told otherwise, and nothing of the photo's metadata may reach the copy.
    clean = Image.new("RGB", rgb.size, WHITE)
    clean.paste(rgb)
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=quality, optimize=True, progressive=False)
    return buffer.getvalue()


def _write_atomically(out_path: Path, data: bytes) -> None:
    """Write beside ``out_path``, fsync, then rename, so readers never see a partial copy."""
    fd, temp_name = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        temp_path.replace(out_path)
    finally:
        temp_path.unlink(missing_ok=True)
    directory = os.open(out_path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)  # makes the rename itself durable
    finally:
        os.close(directory)
