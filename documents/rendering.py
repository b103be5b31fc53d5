"""PDF rendering with WeasyPrint from Jinja2 templates, Chinese first.

The URL fetcher is the security boundary: a template or user-supplied text may name any URL,
but only ``data:`` URIs and files inside this package's ``assets/`` folder are fetched.
Everything else (``file:`` elsewhere, ``http(s):``, any other scheme) fails the render.

Rendering runs in one spawned worker process that imports WeasyPrint once and is reused, so a
document that takes too long can be stopped (``RenderTimeout``) by killing that process; the
template, the fetcher and WeasyPrint all run there. The worker also reports where each
signature box (an element with the id ``sig-<field>``) landed, for the signing step.
Because the worker is spawned, it imports the main module again: a script that renders must
keep its top-level work under ``if __name__ == "__main__":`` (servers and pytest already do).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import re
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from documents.errors import DocumentsError

ASSETS = (Path(__file__).parent / "assets").resolve()
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
#: CSS pixels are 1/96 inch, PDF points 1/72 inch.
PT_PER_PX = 0.75
#: Worker start-up (spawn, import WeasyPrint, load fonts) is not charged to a render's timeout.
STARTUP_TIMEOUT = 60.0
#: Short codes avoid 0/O, 1/I/L so that they survive being read aloud or typed from paper.
_FIELD_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class RenderError(DocumentsError):
    """A document could not be rendered."""

    code = "render_error"

    def __reduce__(self) -> tuple[type[RenderError], tuple[str]]:
        # Raised in the worker and pickled back: rebuild from the reason, not the message.
        return type(self), (self.reason,)


class RenderRefused(RenderError):
    """A document tried to load something from outside the allowed set."""

    code = "render_refused"


class RenderTimeout(RenderError):
    """A document took longer than its time limit to render; the worker was stopped."""

    code = "render_timeout"


@dataclass(frozen=True)
class FieldBox:
    """Where a signature box landed: ``box`` is (x1, y1, x2, y2) in PDF points, origin at
    the bottom-left of page ``page_index`` (0-based), ready for a PDF signature field."""

    name: str
    page_index: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered PDF with the signature boxes of its ``signers``, in document order."""

    pdf: bytes
    fields: tuple[FieldBox, ...]
    page_count: int


def qr_data_uri(url: str) -> str:
    """Encode ``url`` as a QR code PNG data URI (one pixel per module, 4-module quiet zone).

    PNG rather than SVG so the symbol is one image object in the PDF that can be checked.
    """
    import segno

    uri: str = segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=4)
    return uri


def verify_page(url: str, short_code: str) -> str:
    """Return the page where a reader types the code: ``url`` without its trailing code."""
    suffix = "/" + short_code
    return url[: -len(suffix)] if url.endswith(suffix) else url


def check_url(url: str) -> None:
    """Allow data: URIs and files inside the package's assets folder; refuse the rest."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return
    if parts.scheme == "file" and not parts.netloc:
        path = Path(unquote(parts.path)).resolve()
        if path.is_relative_to(ASSETS) and path.is_file():
            return
    raise RenderRefused(f"refused to fetch {url[:200]!r}")


def _fetcher(refused: list[str]) -> Any:
    from weasyprint.urls import URLFetcher

    class GuardedFetcher(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher behind ``check_url``; each refusal is noted in ``refused``."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            try:
                check_url(url)
            except RenderRefused as exc:
                refused.append(exc.reason)
                raise
            return super().fetch(url, headers)

    return GuardedFetcher(timeout=5, allowed_protocols=("data", "file"), fail_on_errors=True)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("documents", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    env.filters["china_time"] = lambda value: value.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M")
    env.filters["china_date"] = lambda value: f"{value.year}年{value.month}月{value.day}日"
    env.filters["qr_data_uri"] = qr_data_uri
    env.filters["verify_page"] = verify_page
    return env


def render_html(template: str, context: dict[str, Any]) -> str:
    """Render a template to HTML in this process, for previews (no WeasyPrint, no time limit)."""
    return _environment().get_template(template).render(**context)


def _signer_fields(context: dict[str, Any]) -> list[str]:
    """Return the signature field names the context asks for; refuse unusable ones.

    PDF field names are joined with dots into a hierarchy, and an id can only anchor once,
    so names are lowercase words joined by dashes and unique.
    """
    names = [str(signer["field"]) for signer in context.get("signers") or ()]
    for name in names:
        if not _FIELD_NAME.fullmatch(name):
            raise RenderError(f"bad signature field name {name[:40]!r}")
    if len(set(names)) != len(names):
        raise RenderError("duplicate signature field names")
    return names


def _field_boxes(document: Any, expected: list[str]) -> tuple[FieldBox, ...]:
    """Convert the anchors of ``sig-`` elements (CSS px, top-left origin) to PDF boxes."""
    found: dict[str, FieldBox] = {}
    for index, page in enumerate(document.pages):
        height = page.height
        for anchor, (x1, y1, x2, y2) in page.anchors.items():
            if anchor.startswith("sig-"):
                name = anchor.removeprefix("sig-")
                box = (
                    x1 * PT_PER_PX,
                    (height - y2) * PT_PER_PX,
                    x2 * PT_PER_PX,
                    (height - y1) * PT_PER_PX,
                )
                found[name] = FieldBox(name, index, box)
    missing = [name for name in expected if name not in found]
    if missing:
        raise RenderError(f"the template has no signature box for {', '.join(missing)}")
    return tuple(found[name] for name in expected)


class _SkippedParts(logging.Handler):
    """Collect the errors WeasyPrint logs when it leaves something out and carries on.

    WeasyPrint logs at ERROR exactly for unreachable or unusable resources (an image it could
    not load or draw, a stylesheet): a court document missing one of them must not be issued.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:300])


def _html_to_document(html: str, expected: list[str]) -> RenderedDocument:
    """Lay out and write ``html`` behind the guarded fetcher; fail on anything left out."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    refused: list[str] = []
    skipped = _SkippedParts()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(skipped)
    try:
        source = weasyprint.HTML(
            string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=_fetcher(refused)
        )
        document = source.render()
        pdf: bytes = document.write_pdf(finisher=_compact_glyph_widths)
    except FatalURLFetchingError as exc:
        cause = exc.__cause__
        raise cause if isinstance(cause, RenderRefused) else RenderRefused(str(exc)) from exc
    finally:
        logger.removeHandler(skipped)
    if refused:
        # WeasyPrint swallows every error while drawing an SVG image, refusals included.
        raise RenderRefused(refused[0])
    if skipped.messages:
        raise RenderError(f"part of the document could not be drawn: {skipped.messages[0]}")
    return RenderedDocument(pdf, _field_boxes(document, expected), len(document.pages))


#: ISO 32000-1 §9.7.4.3: a CIDFont without /DW gives every glyph not in /W this width.
_DEFAULT_CID_WIDTH = 1000


def _compact_glyph_widths(document: Any, pdf: Any) -> None:
    """Leave out of each CIDFont's /W the glyphs whose width is the default (1000).

    WeasyPrint lists every glyph of a subset, and a CJK font's glyphs are nearly all
    1000 wide: the /W arrays were most of a document's objects by count. Signature
    verification walks every object of every signed revision (pyHanko's difference
    analysis), once per signature, so they were paid for many times over. The glyphs
    keep their widths: leaving a default-width glyph out of /W is what /DW is for.
    """
    import pydyf

    for candidate in pdf.objects:
        if not isinstance(candidate, pydyf.Dictionary):
            continue
        if candidate.get("Subtype") not in ("/CIDFontType0", "/CIDFontType2"):
            continue
        if "DW" in candidate or "W" not in candidate:
            continue
        widths = _read_widths(candidate["W"])
        if widths is None:  # not the shape WeasyPrint writes: leave it as it is
            continue
        compact = pydyf.Array()
        previous = None
        for cid in sorted(widths):
            if widths[cid] == _DEFAULT_CID_WIDTH:
                continue
            if previous is None or cid != previous + 1:
                run = pydyf.Array()
                compact.extend([cid, run])
            run.append(widths[cid])
            previous = cid
        candidate["W"] = compact


def _read_widths(array: list[Any]) -> dict[int, Any] | None:
    """Read a /W array of the ``first [w1 w2 …]`` form WeasyPrint writes; None for any
    other form (``first last w`` ranges)."""
    if len(array) % 2 or not all(isinstance(run, list) for run in array[1::2]):
        return None
    widths: dict[int, Any] = {}
    for first, run in zip(array[::2], array[1::2], strict=True):
        for offset, width in enumerate(run):
            widths[int(first) + offset] = width
    return widths


def _render_in_worker(template: str, context: dict[str, Any]) -> RenderedDocument:
    """Render in the worker process: template, guarded fetches, layout, PDF."""
    expected = _signer_fields(context)
    return _html_to_document(render_html(template, context), expected)


def _start_worker() -> int:
    """Load WeasyPrint and the fonts once, so that renders are timed on their own work."""
    import weasyprint

    warm_up = "<p style=\"font-family: 'WenQuanYi Micro Hei'\">中文</p>"
    weasyprint.HTML(string=warm_up).write_pdf()
    return os.getpid()


class _RenderWorker:
    """One spawned rendering process, started on first use and replaced after a timeout.

    Renders are serialised with a lock so a render's time limit counts only its own work, and
    killing the process on timeout cannot take another caller's render with it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._worker_pid = 0
        self._owner_pid = 0

    def run(self, template: str, context: dict[str, Any], timeout: float) -> RenderedDocument:
        with self._lock:
            executor = self._ready()
            future = executor.submit(_render_in_worker, template, context)
            try:
                return future.result(timeout=timeout)
            except TimeoutError:
                self._discard(kill=True)
                raise RenderTimeout(f"{template} took longer than {timeout:g} s") from None
            except BrokenProcessPool as exc:
                self._discard(kill=False)
                raise RenderError(f"the render worker died while rendering {template}") from exc

    def close(self) -> None:
        """Stop the worker, if any (at interpreter exit)."""
        self._discard(kill=False)

    def _ready(self) -> ProcessPoolExecutor:
        if self._executor is not None and self._owner_pid != os.getpid():
            # Inherited through fork (a pre-forking server): the pool's threads are not here.
            self._executor = None
        if self._executor is None:
            executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
            try:
                self._worker_pid = executor.submit(_start_worker).result(STARTUP_TIMEOUT)
            except (TimeoutError, BrokenProcessPool) as exc:
                executor.shutdown(wait=False, cancel_futures=True)
                raise RenderError("the render worker did not start") from exc
            self._executor, self._owner_pid = executor, os.getpid()
        return self._executor

    def _discard(self, *, kill: bool) -> None:
        executor, self._executor = self._executor, None
        if executor is None or self._owner_pid != os.getpid():
            return
        if kill:
            # No public way to stop a busy worker before Python 3.14; the pool then sees the
            # dead process, fails its futures and winds down, which shutdown() waits for.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._worker_pid, signal.SIGKILL)
        executor.shutdown(wait=True, cancel_futures=True)


_worker = _RenderWorker()
atexit.register(_worker.close)


def render_document(
    template: str, context: dict[str, Any], *, timeout: float = 20.0
) -> RenderedDocument:
    """Render a template to PDF with the boxes of its signature fields.

    ``context`` must be plain, picklable data (it crosses to the worker process). Its
    optional ``signers`` list of ``{field, role, name}`` must each come back as a box.
    Raises RenderRefused for any outside resource, RenderTimeout past ``timeout`` seconds.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    _signer_fields(context)
    return _worker.run(template, context, timeout)


def render_pdf(template: str, context: dict[str, Any], *, timeout: float = 20.0) -> bytes:
    """Render a template to PDF bytes; any outside resource makes it fail (RenderRefused)."""
    return render_document(template, context, timeout=timeout).pdf
