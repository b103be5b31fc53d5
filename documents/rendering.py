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


def guarded_url_fetcher(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    """Fetch only data: URIs and the package's own assets; refuse everything else."""
    from weasyprint.urls import default_url_fetcher

    parts = urlsplit(url)
    if parts.scheme == "data":
        result: dict[str, Any] = default_url_fetcher(url, timeout=timeout)
        return result
    if parts.scheme == "file" and not parts.netloc:
        path = Path(unquote(parts.path)).resolve()
        if path.is_relative_to(ASSETS) and path.is_file():
            return {"file_obj": open(path, "rb"), "redirected_url": url}
    raise RenderRefused(f"refused to fetch {url[:200]!r}")


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

    html = render_html(template, context)
    errors: list[RenderRefused] = []

    def fetcher(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
        try:
            return guarded_url_fetcher(url, timeout, ssl_context)
        except RenderRefused as exc:
            errors.append(exc)
            raise

    document = weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    if errors:
        # WeasyPrint logs a failed fetch and carries on; a court document must not.
        raise errors[0]
    return pdf
