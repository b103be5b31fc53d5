"""End to end in a real headless Chromium: a clerk signs in, sees the dashboard, signs out."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from court.accounts.models import Role
from tests import factories

pytestmark = pytest.mark.browser


def test_a_clerk_signs_in_and_out_in_the_browser(
    live_server: str, browser_page, session: Session
) -> None:
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    page = browser_page
    page.goto(f"{live_server}/staff/")
    assert page.url.startswith(f"{live_server}/staff/sign-in")
    page.fill("#username", "clerk1")
    page.fill("#password", "wrong password")
    page.click("#sign-in")
    assert "用户名或密码错误" in page.inner_text("#sign-in-error")
    page.fill("#password", factories.STAFF_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{live_server}/staff/")
    assert page.inner_text("#dashboard-title") == "立案庭书记员工作台"
    assert "暂无待审核的立案申请" in page.inner_text("#queue-filings")
    page.click("#sign-out")
    page.wait_for_url(f"{live_server}/staff/sign-in")
    assert "您已退出登录" in page.content()
    page.goto(f"{live_server}/staff/")
    assert "/staff/sign-in" in page.url
