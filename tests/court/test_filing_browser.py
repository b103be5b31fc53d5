"""End to end: a complaint filed through the API is registered by a clerk in a real
headless Chromium, and the litigant sees the case number and the served notice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from court.accounts.models import Role
from litigant_client import Filing, HttpTransport
from tests import factories
from tests.factories import document_photo

pytestmark = pytest.mark.browser


def test_a_filing_is_registered_in_the_browser(
    live_server: str, browser_page, make_litigant, session: Session
) -> None:
    litigant = make_litigant(name="刘小明")
    litigant.transport = HttpTransport(live_server)  # the phone talks HTTP to the real server
    filing = Filing(litigant)
    draft = filing.open(
        "complaint",
        details={
            "parties": [{"role": "defendant", "name": "宁波某商贸有限公司"}],
            "claims": ["支付货款 12,000 元"],
        },
    )
    for i in range(3):
        filing.upload_page(draft["id"], document_photo(text_lines=30 + i), chunk=200_000)
    filing.sign(draft["id"])
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()

    page = browser_page
    page.goto(f"{live_server}/staff/sign-in")
    page.fill("#username", "clerk1")
    page.fill("#password", factories.STAFF_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{live_server}/staff/")
    page.click(f"a[href='/staff/filings/{draft['id']}']")
    page.wait_for_url(f"{live_server}/staff/filings/{draft['id']}")
    assert page.inner_text("#signature-status") == "签名有效"
    images = page.locator("figure.page img")
    assert images.count() == 3
    # The page photos really load (display copies), not broken images.
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    page.click("#register")
    page.wait_for_selector(".flash")
    assert "已登记立案" in page.inner_text(".flash")
    assert page.inner_text("#state") == "已立案"

    year = dt.datetime.now(dt.UTC).year
    case = litigant.call("GET", "/cases")["items"][0]
    assert case["case_number"] == f"({year})浙0203民初1号"
    notice = litigant.call("GET", "/inbox")["items"][0]
    assert notice["title"] == f"受理通知书（({year})浙0203民初1号）"
