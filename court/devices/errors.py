"""Errors of device enrolment."""

from __future__ import annotations

from court.errors import Conflict


class KeyAlreadyEnrolled(Conflict):
    code = "key_already_enrolled"
    zh = "该密钥已登记。"
    en = "This key is already enrolled."
