"""Fixtures: a fresh app per test on a real database (SQLite, or PostgreSQL when
MICROCOURT_TEST_DATABASE_URL is set), with a court PKI built once per session."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session

from court import create_app
from court.cli import initialise
from court.db import get_engine, open_session
from court.live import watchers
from court.schema import metadata
from litigant_client import LitigantClient, WsgiTransport

PG_URL = os.environ.get("MICROCOURT_TEST_DATABASE_URL")
#: Reference data loaded once; every other table is emptied after each test.
KEPT_TABLES = {"alembic_version", "case_cause", "case_cause_tag", "court"}


def _config(instance: Path, url: str) -> dict[str, object]:
    # Media peers all run on this machine: ICE host candidates on 127.0.0.1 only.
    return {
        "env": "testing",
        "instance_path": instance,
        "database_url": url,
        "media_loopback": True,
        "self_test_seconds": 2.0,
    }


@pytest.fixture(scope="session")
def template_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder with keys, certificates and an initialised database."""
    root = tmp_path_factory.mktemp("template-instance")
    if PG_URL:
        from sqlalchemy import create_engine

        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(_config(root, PG_URL or ""))
    with app.app_context():
        initialise(app)
    get_engine(app).dispose()
    return root


@pytest.fixture
def app(template_instance: Path, tmp_path: Path) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    application = create_app(_config(instance, PG_URL or ""))
    yield application
    engine = get_engine(application)
    watchers.shut_down(engine)  # live streams end before the database goes
    node = application.extensions.get("court.media_node")
    if node is not None:
        node.shutdown()  # finalises recordings, stops the media loop
    if PG_URL:
        tables = [f'"{t.name}"' for t in metadata.sorted_tables if t.name not in KEPT_TABLES]
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session for arranging and checking data directly.

    Its transaction starts at first use: commit after arranging, and commit (or roll back)
    before reading what a later request wrote.
    """
    # No app context is pushed here: requests made meanwhile must get their own ``g``.
    s = open_session(get_engine(app), write=False)
    try:
        yield s
    finally:
        s.rollback()
        s.close()


_CODE_RE = re.compile(r"DEVELOPMENT STAND-IN SMS to (\d{11}): code (\d{6})")


class CodeInbox:
    """Reads one-time codes from the development sender's log lines."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog
        caplog.set_level(logging.WARNING, logger="court.accounts.interfaces")

    def latest(self, phone: str) -> str:
        for record in reversed(self._caplog.records):
            match = _CODE_RE.search(record.getMessage())
            if match and match.group(1) == phone:
                return match.group(2)
        raise AssertionError(f"no code was sent to {phone}")


@pytest.fixture
def inbox(caplog: pytest.LogCaptureFixture) -> CodeInbox:
    return CodeInbox(caplog)


def valid_resident_id(first17: str = "33020319900307123") -> str:
    from court.identity.validators import resident_id_check_character

    return first17 + resident_id_check_character(first17)


@pytest.fixture
def make_litigant(client: FlaskClient, inbox: CodeInbox):
    """Build litigants through the API: signed in, optionally verified and enrolled."""
    counter = iter(range(10_000))

    def make(
        *, verified: bool = True, enrolled: bool = True, name: str = "刘小明"
    ) -> LitigantClient:
        n = next(counter)
        phone = f"139{n:08d}"
        litigant = LitigantClient(WsgiTransport(client))
        litigant.ask_for_code(phone)
        litigant.sign_in(phone, inbox.latest(phone))
        if verified:
            litigant.verify_identity(name, valid_resident_id(f"33020319900307{n:03d}"))
            if enrolled:
                litigant.enrol_device()
        return litigant

    return make


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app over real HTTP on 127.0.0.1 (a free port) for browsers and clients."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_page(tmp_path: Path):
    """A page in Debian's headless Chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # Hearings: a synthetic camera and microphone, granted without a prompt,
                # playing without a click, connecting over 127.0.0.1.
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                "--allow-loopback-in-peer-connection",
            ],
        )
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
