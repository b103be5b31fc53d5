"""P2: verifications per second of a sealed two-party agreement, against poppler's pdfsig on
the same file in the same run (the engine also checks coverage, revocation, PAdES level)."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.p1_agreement import sealed_agreement, setup
from documents.verify import ExpectedSigner, verify_pdf
from signing.pki import ROOT

SECONDS = 10.0


def run() -> None:
    stage = setup()
    pdf = sealed_agreement(stage)
    root = stage.app.extensions["court.pki"].certificate(ROOT)
    with stage.app.app_context():
        from court import components
        from court.db import unit_of_work

        with unit_of_work(stage.engine) as s:
            crls = list(components.sealing_key(s).crls)
    expected = [
        ExpectedSigner(role=r, field_name=f)
        for r, f in (
            ("申请人", "party-1"),
            ("被申请人", "party-2"),
            ("调解员", "mediator"),
            ("法院印章", "court-seal"),
        )
    ]
    report = verify_pdf(pdf, trust_roots=[root], crls=crls, expected_signers=expected)
    assert report.passed, report.to_json()
    path = Path(tempfile.mkdtemp()) / "agreement.pdf"
    path.write_bytes(pdf)
    engine_rate = _rate(
        lambda: verify_pdf(pdf, trust_roots=[root], crls=crls, expected_signers=expected)
    )
    pdfsig_rate = _rate(
        lambda: subprocess.run(["pdfsig", str(path)], capture_output=True, check=False)
    )
    print(
        f"P2  verifying a sealed two-party agreement ({len(pdf) / 1024:.0f} KB, 4 signatures incl. the seal, B-LTA), {SECONDS:.0f} s each"
    )
    print(f"    pdfsig (poppler)                         {pdfsig_rate:7.1f} verifications/s")
    print(
        f"    documents.verify (coverage, revocation, levels, expected signers)  {engine_rate:7.1f} verifications/s"
    )
    print(f"    ratio engine/pdfsig: {engine_rate / pdfsig_rate:.2f}  (goal >= 0.5)")
    stage.engine.dispose()


def _rate(action: Callable[[], object]) -> float:
    done = 0
    stop = time.monotonic() + SECONDS
    started = time.monotonic()
    while time.monotonic() < stop:
        action()
        done += 1
    return done / (time.monotonic() - started)
