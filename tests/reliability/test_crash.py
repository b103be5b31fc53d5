"""Crash injection in CI: at least 200 SIGKILLs of the production server during filing,
signing and sealing; every invariant holds afterwards (see tests/reliability/crash.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.reliability import crash

pytestmark = pytest.mark.slow
KILLS = int(os.environ.get("MICROCOURT_CRASH_KILLS", "200"))


@pytest.mark.skipif(
    bool(PG_URL), reason="the harness runs the embedded-database server; once per CI run"
)
def test_no_invariant_breaks_over_hundreds_of_kills(tmp_path: Path) -> None:
    report = crash.run(KILLS, root=tmp_path / "crash")
    print("\n" + "\n".join(f"{name:>28}: {value}" for name, value in report.counts.items()))
    assert report.kills >= KILLS
    assert report.filings > 0
    assert report.documents > 0
    assert report.broken == [], "\n".join(report.broken)
