"""Swappable backends of the accounts package."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class CodeSender(Protocol):
    """Text messages to phones (an SMS gateway in production): one-time sign-in codes, and
    the court's notices to people not yet on the system."""

    def send_code(self, phone: str, code: str, ttl_seconds: int) -> None: ...

    def send_text(self, phone: str, text: str) -> None: ...


class LogCodeSender:
    """DEVELOPMENT STAND-IN: writes the code to the log instead of sending a text message."""

    def __init__(self) -> None:
        log.warning("DEVELOPMENT STAND-IN: one-time codes are written to this log, not sent by SMS")

    def send_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        log.warning(
            "DEVELOPMENT STAND-IN SMS to %s: code %s (valid %d s)", phone, code, ttl_seconds
        )

    def send_text(self, phone: str, text: str) -> None:
        log.warning("DEVELOPMENT STAND-IN SMS to %s: %s", phone, text)
