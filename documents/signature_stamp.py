"""What a signer's box shows: their handwritten signature in the court's ink, or else their
name and the date.

Both are pictures. pyHanko's default stamp was text in Courier, a font without Chinese:
the box read "þÿ D i g i t a l l y" with the signer's name as mojibake, and its text ran on
past the box's right edge, clipped on screen but extracted by ``pdftotext`` over the next
box. A picture shows every name in the court's font, needs no font subset per signature
(the reason the seal is an image too), and keeps what verification allows simple: a
signature box shows no text at all (``documents.verify.appearances``). Who signed, and
when, is in the signature itself; the verification page reads it from there.
"""

from __future__ import annotations

import datetime as dt
import functools
import io

from cryptography import x509
from cryptography.x509.oid import NameOID
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.stamp import StaticStampStyle

from documents.images import CHINA_TIME
from documents.seal_image import SEAL_FONT

#: The court's signature boxes are 170 × 71 points; the picture is drawn at three pixels a
#: point, sharp when printed at 216 dpi.
WIDTH, HEIGHT = 510, 213
INK = (24, 44, 110, 255)
MAX_NAME_CHARACTERS = 24


def name_picture(name: str, when: dt.datetime) -> Image.Image:
    """``name`` over "电子签名 · <date in China>" in a thin frame: one ink colour shaped by
    transparency. Handed to pyHanko as it is (encoding it as an optimised PNG first took
    30 ms of the 40 a signature's stamp cost)."""
    shown = name if len(name) <= MAX_NAME_CHARACTERS else name[: MAX_NAME_CHARACTERS - 1] + "…"
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(mask)
    draw.rounded_rectangle((3, 3, WIDTH - 4, HEIGHT - 4), radius=14, outline=255, width=4)
    size = 84
    while size > 24 and draw.textlength(shown, font=_font(size)) > WIDTH - 48:
        size -= 6
    draw.text((WIDTH / 2, HEIGHT * 0.42), shown, font=_font(size), fill=255, anchor="mm")
    local = when.astimezone(CHINA_TIME)
    caption = f"电子签名 · {local.year}年{local.month}月{local.day}日"
    draw.text((WIDTH / 2, HEIGHT * 0.8), caption, font=_font(34), fill=255, anchor="mm")
    picture = Image.new("RGBA", (WIDTH, HEIGHT), INK)
    picture.putalpha(mask)
    return picture


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(SEAL_FONT), size, index=0)


def signer_name(certificate: x509.Certificate) -> str:
    """The name a certificate's subject gives its holder (its common name)."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else "签名人"


def signature_box(
    certificate: x509.Certificate, handwriting_png: bytes | None = None
) -> StaticStampStyle:
    """pyHanko's stamp style for a signature by ``certificate``'s holder, made now: the
    handwriting if drawn, else their name and today's date."""
    if handwriting_png is None:
        picture = name_picture(signer_name(certificate), dt.datetime.now(dt.UTC))
    else:
        with Image.open(io.BytesIO(handwriting_png)) as drawn:
            picture = in_ink(drawn)
    return StaticStampStyle(background=PdfImage(picture), border_width=0)


def in_ink(drawing: Image.Image) -> Image.Image:
    """A handwritten signature in the court's one ink: each pixel as strong as it is dark
    and opaque, whatever its colour. A picture of a red seal uploaded as "handwriting" would
    otherwise make an unsealed document look sealed on screen; in ink it is no seal."""
    rgba = drawing.convert("RGBA")
    darkness = ImageOps.invert(rgba.convert("L"))
    strength = ImageChops.multiply(rgba.getchannel("A"), darkness)
    picture = Image.new("RGBA", rgba.size, INK)
    picture.putalpha(ImageOps.autocontrast(strength, cutoff=0, preserve_tone=False))
    return picture
