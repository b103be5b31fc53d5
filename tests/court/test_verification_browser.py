"""End to end in a real headless Chromium: anyone checks a sealed agreement on the public page."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from court.registry.models import CourtDocument
from tests.court.test_verification import _sealed_agreement

pytestmark = pytest.mark.browser


def test_a_bank_clerk_verifies_an_agreement_in_the_browser(
    app: Flask, live_server: str, browser_page, make_litigant, session: Session, tmp_path: Path
) -> None:
    document_id, pdf = _sealed_agreement(app, make_litigant, session)
    (tmp_path / "agreement.pdf").write_bytes(pdf)
    tampered = bytearray(pdf)
    tampered[pdf.index(b"/Type /Page") + 2] ^= 0x01
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    page = browser_page
    page.goto(f"{live_server}/verify/")
    page.set_input_files("#pdf", str(tmp_path / "agreement.pdf"))
    page.click("#verify")
    page.wait_for_selector("#verdict-text")
    assert "文书真实有效" in page.inner_text("#verdict-text")
    page.goto(f"{live_server}/verify/")
    page.set_input_files("#pdf", str(tmp_path / "tampered.pdf"))
    page.click("#verify")
    page.wait_for_selector("#verdict-text")
    assert "未能确认" in page.inner_text("#verdict-text")
    assert "——" in page.inner_text("#why")  # the reason, in words a bank clerk reads
    session.rollback()
    code = session.get(CourtDocument, document_id).short_code
    page.goto(f"{live_server}/verify/{code}")
    assert "调解协议书" in page.inner_text("#registered")
