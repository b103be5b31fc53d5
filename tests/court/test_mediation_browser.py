"""End to end: two litigants on their phones (the API over real HTTP) and a mediator in a
real headless Chromium go from a request to a sealed agreement that verifies."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect
from sqlmodel import Session

from litigant_client import HttpTransport
from tests import factories
from tests.court.mediation_world import build

pytestmark = pytest.mark.browser


def test_request_to_sealed_agreement_with_the_mediator_in_the_browser(
    app: Flask, live_server: str, browser_page: Any, make_litigant: Any, session: Session
) -> None:
    world = build(app, session, make_litigant)
    for party in (world.alice, world.bob):
        party.transport = HttpTransport(live_server)  # phones talk HTTP to the real server
    mediation = world.request()
    world.agree_and_choose(mediation["id"])

    page = browser_page
    page.goto(f"{live_server}/staff/sign-in")
    page.fill("#username", world.mediator_username)
    page.fill("#password", factories.STAFF_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{live_server}/staff/")
    page.click(f"#queue-requests a[href='/staff/mediations/{mediation['id']}']")
    page.wait_for_selector("#acceptance")
    page.fill("#disclosure", "无")
    page.click("#accept")
    page.wait_for_selector("#agreement-editor")
    assert page.inner_text("#state") == "调解中"

    # The thread is live both ways.
    page.wait_for_selector("#thread li")
    world.bob.call(
        "POST", f"/mediations/{mediation['id']}/messages", {"body": "我愿意分两期还款。"}
    )
    page.wait_for_selector("#thread li:has-text('我愿意分两期还款。')", timeout=15_000)
    page.fill("#message-body", "请申请人确认是否同意。")
    page.click("#send-message")
    expect(page.locator("#message-body")).to_have_value("", timeout=15_000)
    bodies = [
        m["body"]
        for m in world.alice.call("GET", f"/mediations/{mediation['id']}/messages")["items"]
    ]
    assert "请申请人确认是否同意。" in bodies
    # The mediator's own message comes back through the stream too.
    page.wait_for_selector("#thread li.mine:has-text('请申请人确认是否同意。')", timeout=15_000)

    page.fill("#terms", "被申请人于2026年12月31日前归还5万元。\n于2027年3月31日前支付利息1500元。")
    page.fill("#performance", "银行转账至申请人账户。")
    page.click("#issue-agreement")
    page.wait_for_selector(".flash")
    assert "核验码" in page.inner_text(".flash")

    paper = next(
        p
        for p in world.alice.call("GET", f"/mediations/{mediation['id']}")["papers"]
        if p["kind"] == "mediation_agreement"
    )
    world.alice.sign_document(paper["document_id"])
    world.bob.sign_document(paper["document_id"])
    assert world.alice.call("GET", f"/mediations/{mediation['id']}")["state"] == "agreed"

    # The mediator sees who signed and signs last with the password; the court seals.
    page.goto(f"{live_server}/staff/mediations/{mediation['id']}")
    signed = page.inner_text("#papers")
    assert "刘小明✓" in signed
    assert "孙大伟✓" in signed
    page.click(f"#papers a[href='/staff/documents/{paper['document_id']}']")
    page.fill("#confirm-password", factories.STAFF_PASSWORD)
    page.click("#sign-document")
    page.wait_for_selector(".flash")
    assert "已加盖法院电子印章" in page.inner_text(".flash")

    pdf = world.alice.download(f"/documents/{paper['document_id']}/pdf")
    reply = requests.post(
        f"{live_server}/api/v1/verify",
        data=pdf,
        headers={"Content-Type": "application/pdf"},
        timeout=60,
    )
    report = reply.json()["report"]
    assert report["indication"] == "TOTAL-PASSED", report
    assert report["registry_match"] is True
    assert [s["field_name"] for s in report["signatures"]] == [
        "party-1",
        "party-2",
        "mediator",
        "court-seal",
    ]
