"""Files people attach (to a mediation thread, as a wet-ink scan): a whole image or a
parseable PDF, named by its content, never by what the client claims."""

from __future__ import annotations

import io
import os
import tempfile

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from documents.errors import PageRejected
from documents.images import DEFAULT_LIMITS, inspect_page

MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heif": "image/heif",
}
MAX_PDF_PAGES = 200


def sniff_attachment(data: bytes, *, max_bytes: int) -> str:
    """The media type of an acceptable attachment, or ``PageRejected`` saying why not."""
    if not data:
        raise PageRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise PageRejected("too_large", f"{len(data)} bytes is over the {max_bytes} limit")
    if data.startswith(b"%PDF-"):
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            pages = int(reader.root["/Pages"]["/Count"])
        except (PdfError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise PageRejected("undecodable", "the PDF cannot be read") from exc
        if not 1 <= pages <= MAX_PDF_PAGES:
            raise PageRejected("undecodable", f"the PDF has {pages} pages")
        return "application/pdf"
    fd, path = tempfile.mkstemp(prefix="attachment-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        info = inspect_page(path, DEFAULT_LIMITS)
    finally:
        os.unlink(path)
    return MEDIA_TYPES[info.format]
