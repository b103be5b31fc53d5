"""The app factory: the one place that knows every package and wires them together."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from flask import Flask, Response, g
from flask import typing as ft
from flask_wtf.csrf import CSRFProtect
from pyhanko.sign.timestamps import HTTPTimeStamper

from court import db as database
from court.accounts.interfaces import LogCodeSender
from court.accounts.models import Role
from court.errors import register_error_handlers
from court.identity.interfaces import DevelopmentIdentityProvider
from court.identity.protection import IdNumberProtector
from court.instance import derive_key, prepare_instance
from court.settings import Settings, load_settings
from documents.blobs import FilesystemBlobStore
from signing.evidence.store import EvidenceLog
from signing.keystore import FileKeyStore
from signing.pki import CourtPKI
from signing.tsa import LazyCourtTimeStamper

csrf = CSRFProtect()


class CourtFlask(Flask):
    """Flask with the request's one commit point: after the view, before the response."""

    def dispatch_request(self) -> ft.ResponseReturnValue:
        result = super().dispatch_request()
        database.commit_request()
        return result


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the application from settings (overrides, then environment, then defaults)."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic announces every plugin it loads at INFO; the migrations themselves still show.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    secrets_ = prepare_instance(settings)

    app = CourtFlask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=secrets_.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_NAME="__Host-mc_session" if settings.secure_cookies else "mc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=settings.staff_session_ttl_seconds),
        WTF_CSRF_TIME_LIMIT=settings.staff_session_ttl_seconds,
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        TESTING=settings.env.value == "testing",
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    database.init_app(app, settings.sqlalchemy_url)
    keystore = FileKeyStore(settings.instance_path / "keys", secrets_.key_passphrase)
    app.extensions.update(
        {
            "court.settings": settings,
            "court.secrets": secrets_,
            "court.pki": CourtPKI(
                keystore,
                settings.instance_path / "pki",
                court_name=settings.court_name,
                base_url=settings.public_base_url,
            ),
            "court.code_sender": LogCodeSender(),
            "court.identity_provider": DevelopmentIdentityProvider(),
            "court.id_protector": IdNumberProtector(secrets_.data_key),
            "court.otp_key": derive_key(secrets_.data_key, "otp"),
            "court.blobs": FilesystemBlobStore(settings.instance_path / "blobs"),
            "court.log_actor_key": derive_key(secrets_.data_key, "log-actor"),
        }
    )
    pki = app.extensions["court.pki"]
    app.extensions["court.timestamper"] = (
        HTTPTimeStamper(settings.tsa_url) if settings.tsa_url else LazyCourtTimeStamper(pki)
    )
    app.extensions["court.evidence_log"] = EvidenceLog(log_origin(settings), pki.log_private_key)

    _register_blueprints(app)
    register_error_handlers(app)
    _register_page_context(app, settings)
    _register_security_headers(app, settings)

    from court.cli import register_cli

    register_cli(app)
    return app


def log_origin(settings: Settings) -> str:
    """The log's name in its checkpoints: host of the public URL, the court, "evidence"."""
    host = settings.public_base_url.split("://", 1)[1].split("/", 1)[0]
    return f"{host}/{settings.court_code}/evidence"


def _register_blueprints(app: Flask) -> None:
    from court.api import (
        api,
        catalogue,  # noqa: F401  (declares every endpoint)
    )
    from court.devices.api import pki_blueprint
    from court.filing.views import filing_web
    from court.hearing.join_views import hearing_join
    from court.hearing.views import hearing_web
    from court.mediation.views import mediation_web, roster_web
    from court.registry.views import registry_web
    from court.verification.views import verification_web
    from court.web.views import web

    csrf.init_app(app)
    # The API authenticates with bearer tokens, never cookies: CSRF cannot ride on it.
    csrf.exempt(api.blueprint)
    csrf.exempt(pki_blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(pki_blueprint)
    app.register_blueprint(web)
    app.register_blueprint(filing_web)
    app.register_blueprint(registry_web)
    app.register_blueprint(verification_web)
    app.register_blueprint(roster_web)
    app.register_blueprint(mediation_web)
    app.register_blueprint(hearing_web)
    app.register_blueprint(hearing_join)


def _register_page_context(app: Flask, settings: Settings) -> None:
    from court.timekeeping import court_time
    from court.web.views import ROLE_NAMES

    def csp_nonce() -> str:
        if "csp_nonce" not in g:
            g.csp_nonce = secrets.token_urlsafe(16)
        nonce: str = g.csp_nonce
        return nonce

    app.add_template_filter(court_time, "court_time")

    @app.context_processor
    def _page_globals() -> dict[str, Any]:
        return {
            "court_name": settings.court_name,
            "role_names": ROLE_NAMES,
            "staff": g.get("staff"),
            "csp_nonce": csp_nonce,
            "roles": Role,
        }


def _register_security_headers(app: Flask, settings: Settings) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        nonce = g.get("csp_nonce")
        script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
