"""A real headless Chromium with a fake camera is the judge in the hearing room; an aiortc
participant in another process joins through the API; the judge admits them from the
waiting room, and each side receives the other's video."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlmodel import Session

from litigant_client import ApiError, HttpTransport
from tests import factories
from tests.court.hearing_world import FAVOURABLE, JUDGE, Court
from tests.hearings.peers import PeerProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_judge_admits_a_party_and_both_see_each_other(
    app: Flask, session: Session, make_litigant: Any, live_server: str, browser_page: Any
) -> None:
    court = Court(app, session, make_litigant)
    hearing_id = court.schedule()
    court.findings(hearing_id, FAVOURABLE)
    court.self_test_passed(court.alice, hearing_id)
    court.consent(court.alice, hearing_id)
    page_url = f"/staff/hearings/{hearing_id}"
    court.form(page_url, f"{page_url}/state/open")

    page = browser_page
    page.goto(f"{live_server}/staff/sign-in")
    page.fill("#username", JUDGE)
    page.fill("#password", factories.STAFF_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{live_server}/staff/")
    page.goto(f"{live_server}{page_url}/room")
    expect(page.locator("#connection")).to_have_text("连接状态：connected", timeout=30_000)

    court.alice.transport = HttpTransport(live_server)
    court.alice.reverify("hearing")
    peer = PeerProcess(slots=2, seed=5)
    try:
        joined = court.alice.call("POST", f"/hearings/{hearing_id}/media", {"sdp": peer.offer()})
        peer.answer(joined["sdp"])
        assert joined["presence"] == "waiting"
        admit = page.locator(
            f"button.presence-admit[data-participant='{joined['participant_id']}']"
        )
        admit.click(timeout=15_000)
        row = page.locator(f"#people tr[data-participant='{joined['participant_id']}']")
        expect(row).to_have_attribute("data-presence", "admitted", timeout=15_000)
        # The judge's browser shows the party in slot 0, playing real frames.
        slot = page.locator("#slot-0")
        expect(slot).to_have_attribute("data-participant", joined["participant_id"], timeout=15_000)
        expect(slot.locator("figcaption")).to_have_text("原告 刘小明")
        # (Polled from here: wait_for_function evaluates in the page, which the CSP forbids.)
        width = 0
        for _ in range(40):
            width = page.evaluate("document.querySelector('#slot-0 video').videoWidth")
            if width:
                break
            page.wait_for_timeout(500)
        assert width == 640
        before = page.evaluate("document.querySelector('#slot-0 video').currentTime")
        page.wait_for_timeout(1500)
        after = page.evaluate("document.querySelector('#slot-0 video').currentTime")
        assert after > before  # playing, not a frozen frame
        # The party receives the judge's fake camera through the relay.
        report = peer.wait_for(
            lambda r: max(x["rate"] for x in r["received"] if x["kind"] == "video") >= 10
        )
        assert max(x["rate"] for x in report["received"] if x["kind"] == "video") >= 10, report
        stats = page.locator(f"#people tr[data-participant='{joined['participant_id']}'] td")
        assert "fps" in stats.nth(4).inner_text()
        # The text channel beside the video, both ways.
        court.alice.call("POST", f"/hearings/{hearing_id}/messages", {"body": "我听不清，请打字。"})
        expect(page.locator("#thread li", has_text="我听不清，请打字。")).to_be_visible(
            timeout=15_000
        )
        page.fill("#message-body", "好的，以下以文字进行。")
        page.click("#send-message")
        expect(page.locator("#message-body")).to_have_value("", timeout=15_000)
        bodies = [
            m["body"] for m in court.alice.call("GET", f"/hearings/{hearing_id}/messages")["items"]
        ]
        assert "好的，以下以文字进行。" in bodies
    finally:
        peer.close()


def test_a_party_joins_from_a_computer_with_a_link_from_the_phone(
    app: Flask, session: Session, make_litigant: Any, live_server: str, browser_page: Any
) -> None:
    court = Court(app, session, make_litigant)
    hearing_id = court.schedule()
    court.video_ready(hearing_id)
    page_url = f"/staff/hearings/{hearing_id}"
    court.form(page_url, f"{page_url}/state/open")
    hearing = court.alice.call("GET", f"/hearings/{hearing_id}")
    ids = {p["name"]: p["id"] for p in hearing["participants"]}

    # No link without a fresh re-verification on the phone (R5).
    with pytest.raises(ApiError) as caught:
        court.alice.call("POST", f"/hearings/{hearing_id}/browser-link")
    assert caught.value.reply.status == 403
    court.alice.reverify("hearing")
    link = court.alice.call("POST", f"/hearings/{hearing_id}/browser-link")
    url = link["url"].replace("http://127.0.0.1:8000", live_server)
    page = browser_page
    page.goto(url)
    expect(page.locator("#presence")).to_have_attribute("data-presence", "waiting", timeout=30_000)
    # A tampered link opens nothing.
    assert page.request.get(url[:-3] + "xyz").status == 404

    court.bob.reverify("hearing")
    bob = PeerProcess(slots=2, seed=9)
    try:
        joined = court.bob.call("POST", f"/hearings/{hearing_id}/media", {"sdp": bob.offer()})
        bob.answer(joined["sdp"])
        for name in ("刘小明", "孙大伟"):
            reply = court.form(page_url, f"{page_url}/participants/{ids[name]}/admit")
            assert reply.status_code == 302
        expect(page.locator("#presence")).to_have_attribute(
            "data-presence", "admitted", timeout=15_000
        )
        expect(page.locator("#slot-0")).to_have_attribute(
            "data-participant", ids["孙大伟"], timeout=15_000
        )
        width = 0
        for _ in range(40):
            width = page.evaluate("document.querySelector('#slot-0 video').videoWidth")
            if width:
                break
            page.wait_for_timeout(500)
        assert width == 640
        report = bob.wait_for(
            lambda r: max(x["rate"] for x in r["received"] if x["kind"] == "video") >= 10
        )
        assert max(x["rate"] for x in report["received"] if x["kind"] == "video") >= 10, report
    finally:
        bob.close()
