"""Settings are checked at start-up and fail with a message naming the bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from court import create_app
from court.settings import SettingsError


def test_a_bad_value_stops_start_up_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="otp_ttl_seconds"):
        create_app({"instance_path": tmp_path, "otp_ttl_seconds": 5})


def test_a_bad_court_code_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="court_code"):
        create_app({"instance_path": tmp_path, "court_code": "ZJ0203"})


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="otp_ttl"):
        create_app({"instance_path": tmp_path, "otp_ttl": 300})


def test_environment_variables_are_read_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCOURT_DATA_KEY", "not-hex")
    with pytest.raises(SettingsError, match="data_key"):
        create_app({"instance_path": tmp_path})


def test_production_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MICROCOURT_SECRET_KEY"):
        create_app({"instance_path": tmp_path, "env": "production"})
    assert not (tmp_path / "secrets.json").exists()


def test_an_external_tsa_url_replaces_the_court_tsa(tmp_path: Path) -> None:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from court.db import get_engine

    app = create_app({"instance_path": tmp_path, "tsa_url": "https://tsa.example.org/rfc3161"})
    assert isinstance(app.extensions["court.timestamper"], HTTPTimeStamper)
    get_engine(app).dispose()
    with pytest.raises(SettingsError, match="tsa_url"):
        create_app({"instance_path": tmp_path, "tsa_url": "ftp://nope"})
