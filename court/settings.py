"""Typed settings, read once at start-up and checked before anything runs.

Values come from keyword overrides (tests), then environment variables prefixed ``MICROCOURT_``
(``DATABASE_URL`` is also read without the prefix, as every PaaS sets it), then defaults.
A bad value stops the app with a message naming the setting.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TESTING = "testing"
    PRODUCTION = "production"


class SettingsError(Exception):
    """Raised when the configuration is invalid; the message names each bad setting."""


#: A court code as printed in case numbers: province abbreviation + 4 digits, e.g. 浙0203.
COURT_CODE_RE = re.compile(r"^[\u4e00-\u9fff]\d{2,4}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MICROCOURT_", extra="forbid", frozen=True, populate_by_name=True
    )

    env: Environment = Environment.DEVELOPMENT
    #: Folder for the SQLite file, blobs and key files.
    instance_path: Path = Path("instance")
    #: SQLAlchemy URL; empty means SQLite in the instance folder.
    database_url: str = Field(
        default="", validation_alias=AliasChoices("MICROCOURT_DATABASE_URL", "DATABASE_URL")
    )
    #: Flask session signing key. Generated into the instance folder in development.
    secret_key: SecretStr | None = None
    #: 32-byte key (hex) protecting ID numbers at rest: HMAC for matching, AES-GCM for reading.
    data_key: SecretStr | None = None
    #: Passphrase for the private-key files of the court PKI.
    key_passphrase: SecretStr | None = None

    court_code: str = "浙0203"
    court_name: str = "宁波市海曙区人民法院"
    #: Base URL the public reaches this service at (CRL distribution points, QR codes).
    public_base_url: str = "http://127.0.0.1:8000"
    #: Serve cookies with the Secure flag (set when behind TLS).
    secure_cookies: bool = False

    otp_ttl_seconds: int = Field(default=300, ge=60, le=900)
    otp_max_attempts: int = Field(default=5, ge=1, le=10)
    otp_min_interval_seconds: int = Field(default=60, ge=0, le=600)
    otp_per_phone_per_hour: int = Field(default=5, ge=1, le=100)
    otp_per_address_per_hour: int = Field(default=30, ge=1, le=10_000)
    access_token_ttl_seconds: int = Field(default=2 * 3600, ge=60, le=24 * 3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 86400, ge=3600, le=180 * 86400)
    staff_session_ttl_seconds: int = Field(default=8 * 3600, ge=300, le=24 * 3600)
    login_max_failures: int = Field(default=5, ge=1, le=20)
    login_lockout_seconds: int = Field(default=15 * 60, ge=60, le=24 * 3600)
    #: R5: how long a re-verification counts as fresh.
    reverify_fresh_seconds: int = Field(default=5 * 60, ge=30, le=3600)
    reverify_challenge_ttl_seconds: int = Field(default=120, ge=30, le=900)
    device_certificate_days: int = Field(default=365, ge=1, le=3 * 365)
    crl_validity_hours: int = Field(default=24, ge=1, le=7 * 24)
    idempotency_retention_hours: int = Field(default=48, ge=24, le=30 * 24)
    #: Largest request body accepted, in bytes (page uploads have their own limit).
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    #: Limits on photographed pages: bytes per page, pixels per page, pages per submission.
    page_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)
    page_max_pixels: int = Field(default=50_000_000, ge=10_000, le=400_000_000)
    max_pages: int = Field(default=60, ge=1, le=500)

    #: Which code sender to use: "log" is the development stand-in.
    sms_sender: str = Field(default="log", pattern=r"^(log)$")
    #: Public holidays and make-up working days (调休) for working-day time limits (R11)
    #: and consultation slots, e.g. MICROCOURT_HOLIDAYS='["2026-10-01","2026-10-02"]'.
    holidays: tuple[dt.date, ...] = ()
    makeup_workdays: tuple[dt.date, ...] = ()
    #: An external RFC 3161 time-stamping authority; empty: the court's own TSA.
    tsa_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    #: Which identity provider to use: "development" accepts well-formed numbers.
    identity_provider: str = Field(default="development", pattern=r"^(development)$")
    #: Requests per minute from one address to staff sign-in and to verification, and page
    #: or attachment upload requests per minute from one account (each answered 429 past it).
    sign_in_per_minute: int = Field(default=20, ge=1)
    verify_per_minute: int = Field(default=60, ge=1)
    uploads_per_minute: int = Field(default=600, ge=1)
    #: The hearings media node: a Unix socket of ``python -m hearings.server`` (production:
    #: every web worker shares it), or empty for a node in this process (tests, one worker).
    media_socket: str = ""
    #: Offer 127.0.0.1 as the only ICE host candidate (development on one machine).
    media_loopback: bool = False
    #: RTCIceServer dicts for STUN/TURN in production, e.g. '[{"urls": "turn:..."}]'.
    ice_servers: tuple[dict[str, str], ...] = ()
    #: How long a pre-hearing self-test measures the device's media.
    self_test_seconds: float = Field(default=4.0, ge=1.0, le=30.0)

    @field_validator("court_code")
    @classmethod
    def _court_code_shape(cls, value: str) -> str:
        if not COURT_CODE_RE.match(value):
            raise ValueError("must look like 浙0203: a province character and 2-4 digits")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url_shape(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", value):
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("data_key")
    @classmethod
    def _data_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value.get_secret_value()):
            raise ValueError("must be 64 hexadecimal characters (32 bytes)")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.instance_path / 'court.sqlite3').resolve()}"

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build and check the settings, raising SettingsError with every problem listed."""
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from exc
