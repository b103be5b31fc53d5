"""PDF rendering with WeasyPrint from Jinja2 templates, Chinese first.

The URL fetcher is the security boundary: a template or user-supplied text may name any URL,
but only ``data:`` URIs and files inside this package's ``assets/`` folder are fetched.
Everything else (``file:`` elsewhere, ``http(s):``, any other scheme) fails the render.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

ASSETS = (Path(__file__).parent / "assets").resolve()
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


class RenderRefused(Exception):
    """A document tried to load something from outside the allowed set."""

    code = "render_refused"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{self.code}: {reason}")


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


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class GuardedFetcher(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher behind ``check_url``; any refusal stops the render."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            check_url(url)
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
    return env


def render_html(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(**context)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes; any outside resource makes it fail (RenderRefused)."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    html = render_html(template, context)
    document = weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=_fetcher())
    try:
        pdf: bytes = document.write_pdf()
    except FatalURLFetchingError as exc:
        # WeasyPrint would log a failed fetch and carry on; a court document must not.
        cause = exc.__cause__
        raise cause if isinstance(cause, RenderRefused) else RenderRefused(str(exc)) from exc
    return pdf
