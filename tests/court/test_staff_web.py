"""Staff sign-in in the browser shell: passwords, CSRF, lockout, sign-out, CLI accounts."""

from __future__ import annotations

import datetime as dt

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from court.accounts.models import Account, Role
from tests import factories

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def _csrf(client: FlaskClient, path: str = "/staff/sign-in") -> str:
    return factories.csrf_token(client.get(path).get_data(as_text=True))


def _sign_in(client: FlaskClient, username: str, password: str):
    return client.post(
        "/staff/sign-in",
        data={"username": username, "password": password, "csrf_token": _csrf(client)},
    )


def test_a_clerk_signs_in_sees_the_dashboard_and_signs_out(
    client: FlaskClient, session: Session
) -> None:
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    reply = _sign_in(client, "clerk1", factories.STAFF_PASSWORD)
    assert reply.status_code == 302
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    page = client.get("/staff/").get_data(as_text=True)
    assert "立案庭书记员工作台" in page
    assert "待审核立案" in page
    token = _csrf(client, "/staff/")
    out = client.post("/staff/sign-out", data={"csrf_token": token})
    assert out.status_code == 302, out.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302  # back to sign-in


def test_each_role_gets_its_own_dashboard(client: FlaskClient, session: Session) -> None:
    for role in (Role.JUDGE, Role.MEDIATOR, Role.ADMIN):
        factories.staff(session, role)
    session.commit()
    for role, title in (
        (Role.JUDGE, "法官工作台"),
        (Role.MEDIATOR, "调解员工作台"),
        (Role.ADMIN, "系统管理员工作台"),
    ):
        fresh = client.application.test_client()
        _sign_in(fresh, f"{role.value}-user", factories.STAFF_PASSWORD)
        assert title in fresh.get("/staff/").get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client: FlaskClient, session: Session) -> None:
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    reply = client.post(
        "/staff/sign-in", data={"username": "clerk1", "password": factories.STAFF_PASSWORD}
    )
    assert reply.status_code == 400
    assert "csrf_failed" in reply.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302  # not signed in


def test_a_wrong_password_says_so_without_telling_which_part_was_wrong(
    client: FlaskClient, session: Session
) -> None:
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    wrong_password = _sign_in(client, "clerk1", "not the password")
    unknown_user = _sign_in(client, "nobody", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "用户名或密码错误" in wrong_password.get_data(as_text=True)
    assert "用户名或密码错误" in unknown_user.get_data(as_text=True)


def test_repeated_failures_lock_the_account_for_a_while(
    client: FlaskClient, session: Session
) -> None:
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    with time_machine.travel(T0, tick=False) as t:
        for _ in range(5):
            _sign_in(client, "clerk1", "guess")
        locked = _sign_in(client, "clerk1", factories.STAFF_PASSWORD)
        assert locked.status_code == 401
        assert "临时锁定" in locked.get_data(as_text=True)
        t.shift(dt.timedelta(minutes=15, seconds=1))
        assert _sign_in(client, "clerk1", factories.STAFF_PASSWORD).status_code == 302


def test_sign_in_only_follows_local_next_paths(client: FlaskClient, session: Session) -> None:
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    reply = client.post(
        "/staff/sign-in",
        data={
            "username": "clerk1",
            "password": factories.STAFF_PASSWORD,
            "csrf_token": _csrf(client),
            "next": "//evil.example/phish",
        },
    )
    assert reply.headers["Location"] == "/staff/"


def test_a_litigant_account_cannot_use_staff_pages(client: FlaskClient, make_litigant) -> None:
    make_litigant(verified=False)
    assert client.get("/staff/").status_code == 302


def test_pages_send_security_headers(client: FlaskClient) -> None:
    reply = client.get("/staff/sign-in")
    csp = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_the_cli_creates_and_disables_staff_and_disabling_ends_sessions(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "court",
            "staff",
            "create",
            "--username",
            "judge7",
            "--name",
            "钱法官",
            "--role",
            "judge",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert created.exit_code == 0, created.output
    account = session.exec(select(Account).where(Account.username == "judge7")).one()
    assert account.password_hash.startswith("$argon2id$")
    session.commit()
    assert _sign_in(client, "judge7", "a long enough password").status_code == 302
    assert client.get("/staff/").status_code == 200
    disabled = runner.invoke(args=["court", "staff", "disable", "judge7"])
    assert disabled.exit_code == 0, disabled.output
    assert client.get("/staff/").status_code == 302
    assert _sign_in(client, "judge7", "a long enough password").status_code == 401


def test_the_cli_refuses_a_short_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "court",
            "staff",
            "create",
            "--username",
            "x",
            "--name",
            "x",
            "--role",
            "clerk",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code != 0
