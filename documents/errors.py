"""Errors of the documents package. No HTTP here: the court app maps them to responses."""

from __future__ import annotations

from typing import Literal

#: Why a photographed page was refused; stable, so clients can show their own wording.
RejectionCode = Literal[
    "empty",
    "too_large",
    "unsupported_type",
    "truncated",
    "decompression_bomb",
    "trailing_data",
    "undecodable",
]


class DocumentsError(Exception):
    """Base of documents errors; ``code`` is stable and machine-readable, ``reason`` explains."""

    code: str = "documents_error"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{self.code}: {reason}")


class PageRejected(DocumentsError):
    """Refuse an uploaded page photo; ``code`` says which check it failed."""

    code: RejectionCode

    def __init__(self, code: RejectionCode, reason: str) -> None:
        self.code = code
        super().__init__(reason)
