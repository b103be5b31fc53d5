"""The court seal's visible appearance: a fixed image, so no font is subset per signature."""

from __future__ import annotations

import io
import math
from pathlib import Path

ASSETS = (Path(__file__).parent / "assets").resolve()
SEAL_IMAGE = ASSETS / "court-seal.png"
SEAL_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def draw_seal(court_name: str, *, size: int = 480) -> bytes:
    """Draw a court seal as a transparent PNG: red ring, star, the name along the top arc."""
    from PIL import Image, ImageDraw, ImageFont

    red = (200, 16, 24, 255)
    big = size * 2  # drawn at twice the size and scaled down, for smooth edges
    centre = big / 2
    seal = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    ring = round(big * 0.03)
    draw.ellipse((ring, ring, big - ring, big - ring), outline=red, width=ring)
    outer, inner = big * 0.15, big * 0.15 * 0.382
    star = [
        (
            centre + (outer if k % 2 == 0 else inner) * math.sin(k * math.pi / 5),
            centre - (outer if k % 2 == 0 else inner) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(str(SEAL_FONT), round(big * 0.115), index=0)
    span = min(260.0, 26.0 * len(court_name))
    radius, cell = big * 0.34, round(big * 0.16)
    for i, char in enumerate(court_name):
        # Clockwise from the left, each character upright with its top facing outwards.
        angle = -span / 2 + span * (i + 0.5) / len(court_name)
        glyph = Image.new("RGBA", (cell, cell), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (cell / 2, cell / 2),
            char,
            font=font,
            fill=red,
            anchor="mm",
            stroke_width=2,
            stroke_fill=red,
        )
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.sin(math.radians(angle)) - cell / 2
        y = centre - radius * math.cos(math.radians(angle)) - cell / 2
        seal.alpha_composite(glyph, (round(x), round(y)))
    # One colour, shaped by alpha alone: a constant colour plane compresses to almost nothing.
    flat = Image.new("RGBA", (size, size), red)
    flat.putalpha(seal.getchannel("A").resize((size, size), Image.Resampling.LANCZOS))
    out = io.BytesIO()
    flat.save(out, "PNG", optimize=True)
    return out.getvalue()


def ensure_seal_image(court_name: str, path: Path = SEAL_IMAGE) -> Path:
    """Write the seal image for ``court_name`` to ``path`` unless a file is already there.

    The seal's visible appearance is this fixed image, so no font is subset per signature;
    delete the file to redraw it for another court name.
    """
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(draw_seal(court_name))
        partial.replace(path)
    return path
