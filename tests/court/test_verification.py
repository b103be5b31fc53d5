"""Verifying court documents: the API, the public page and the printed code."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from court.registry.models import CourtDocument, DocumentRevision
from tests import factories
from tests.court.test_registry import _issue


def _sealed_agreement(app: Flask, make_litigant, session: Session) -> tuple[str, bytes]:
    alice, bob = make_litigant(name="刘小明"), make_litigant(name="孙某")
    document_id = _issue(app, session, alice, bob)
    alice.sign_document(document_id)
    bob.sign_document(document_id)
    return document_id, alice.download(f"/documents/{document_id}/pdf")


def _verify(client: FlaskClient, pdf: bytes) -> dict:
    reply = client.post("/api/v1/verify", data=pdf, content_type="application/pdf")
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.json is not None
    return dict(reply.json)


def test_a_sealed_agreement_verifies_as_genuine(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    _document_id, pdf = _sealed_agreement(app, make_litigant, session)
    result = _verify(client, pdf)
    assert result["report"]["indication"] == "TOTAL-PASSED", result["report"]
    assert result["genuine"] is True
    assert result["is_latest"] is True
    assert result["report"]["registry_match"] is True
    assert result["report"]["log_proof_ok"] is True
    assert [s["field_name"] for s in result["report"]["signatures"]] == [
        "party-1",
        "party-2",
        "court-seal",
    ]
    assert all(s["indication"] == "TOTAL-PASSED" for s in result["report"]["signatures"])
    assert result["document"]["title"] == "调解协议书"


def test_a_changed_byte_is_not_genuine(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    _document_id, pdf = _sealed_agreement(app, make_litigant, session)
    tampered = bytearray(pdf)
    position = pdf.index(b"/Type /Page") + 2
    tampered[position] ^= 0x01
    result = _verify(client, bytes(tampered))
    assert result["genuine"] is False
    assert result["report"]["indication"] != "TOTAL-PASSED"
    assert result["document"] is None  # the court never issued these bytes


def test_an_earlier_revision_is_reported_as_that_revision(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    document_id, _pdf = _sealed_agreement(app, make_litigant, session)
    session.rollback()  # read what the requests committed
    second = session.exec(
        select(DocumentRevision).where(
            DocumentRevision.document_id == document_id, DocumentRevision.number == 2
        )
    ).one()
    with app.extensions["court.blobs"].open(second.sha256) as fh:
        earlier = fh.read()
    result = _verify(client, earlier)
    assert result["genuine"] is False
    assert result["is_latest"] is False
    assert result["revision"] == 2


def test_non_pdf_uploads_are_refused(client: FlaskClient) -> None:
    assert (
        client.post("/api/v1/verify", data=b"hello", content_type="application/pdf").status_code
        == 415
    )
    assert (
        client.post("/api/v1/verify", data=b"%PDF-", content_type="text/plain").status_code == 415
    )


def test_the_public_page_verifies_an_upload_and_opens_by_code(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    document_id, pdf = _sealed_agreement(app, make_litigant, session)
    session.rollback()
    code = session.get(CourtDocument, document_id).short_code
    by_code = client.get(f"/verify/{code}")
    assert by_code.status_code == 200
    assert "调解协议书" in by_code.get_data(as_text=True)
    assert client.get("/verify/XXXX-XXXX-XXXX").status_code == 404
    page = client.get("/verify/").get_data(as_text=True)
    token = factories.csrf_token(page)
    reply = client.post(
        "/verify/",
        data={"csrf_token": token, "pdf": (io.BytesIO(pdf), "agreement.pdf")},
        content_type="multipart/form-data",
    )
    html = reply.get_data(as_text=True)
    assert "文书真实有效" in html
    assert client.get(f"/api/v1/verify/{code}").json["short_code"] == code


def test_a_sealed_agreement_verifies_offline_from_what_it_carries(
    app: Flask, make_litigant, session: Session
) -> None:
    """The seal embeds the CRLs of the root and the event CA: no call to the court needed."""
    from documents.verify import verify_pdf

    _document_id, pdf = _sealed_agreement(app, make_litigant, session)
    root = app.extensions["court.pki"].certificate("court-root")
    report = verify_pdf(pdf, trust_roots=[root])
    assert report.indication == "TOTAL-PASSED", report.to_json()
    assert {s.pades_level for s in report.signatures} <= {"B-LT", "B-LTA"}


def test_a_served_notice_carries_a_code_and_verifies(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    from tests.court.test_filing_review import COMPLAINT, _clerk, _file, _form

    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    _form(_clerk(app, session), submission_id, "register")
    notice = litigant.call("GET", "/inbox")["items"][0]
    pdf = litigant.download(f"/inbox/{notice['id']}/document")
    result = _verify(client, pdf)
    assert result["genuine"] is True, result["report"]
    assert result["document"]["kind"] == "acceptance_notice"
    code = result["document"]["short_code"]
    assert client.get(f"/verify/{code}").status_code == 200


def test_a_revoked_document_is_no_longer_genuine(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    from court.accounts.models import Role
    from tests import factories

    document_id, pdf = _sealed_agreement(app, make_litigant, session)
    assert _verify(client, pdf)["genuine"] is True
    session.rollback()  # start a fresh transaction before writing
    factories.staff(session, Role.JUDGE, "judge1")
    session.commit()
    judge = app.test_client()
    factories.signed_in(judge, "judge1")
    detail = judge.get(f"/staff/documents/{document_id}").get_data(as_text=True)
    token = factories.csrf_token(detail)
    no_reason = judge.post(
        f"/staff/documents/{document_id}/revoke",
        data={"csrf_token": token, "password": factories.STAFF_PASSWORD, "reason": " "},
    )
    assert no_reason.status_code == 422
    done = judge.post(
        f"/staff/documents/{document_id}/revoke",
        data={"csrf_token": token, "password": factories.STAFF_PASSWORD, "reason": "送达对象错误"},
    )
    assert done.status_code == 302
    result = _verify(client, pdf)
    assert result["report"]["indication"] == "TOTAL-PASSED"  # the signatures are still sound ...
    assert result["withdrawn"] is True
    assert result["genuine"] is False  # ... but the court no longer stands behind it


def test_the_offline_command_passes_the_agreement_and_fails_a_tampered_copy(
    app: Flask, make_litigant, session: Session, tmp_path
) -> None:
    import subprocess
    import sys

    from cryptography.hazmat.primitives import serialization

    _document_id, pdf = _sealed_agreement(app, make_litigant, session)
    root = app.extensions["court.pki"].certificate("court-root")
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "agreement.pdf").write_bytes(pdf)
    tampered = bytearray(pdf)
    tampered[pdf.index(b"/Type /Page") + 2] ^= 0x01
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "documents.verify",
                str(tmp_path / name),
                "--trust",
                str(tmp_path / "root.pem"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    genuine = run("agreement.pdf")
    assert genuine.returncode == 0, genuine.stdout + genuine.stderr
    assert "TOTAL-PASSED" in genuine.stdout
    assert run("tampered.pdf").returncode == 1


def test_the_service_certificate_is_sealed_and_verifies(
    app: Flask, client: FlaskClient, make_litigant, session: Session
) -> None:
    from tests.court.test_filing_review import COMPLAINT, _clerk, _file, _form

    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    _form(_clerk(app, session), submission_id, "register")
    notice = litigant.call("GET", "/inbox")["items"][0]
    before_read = litigant.download(f"/inbox/{notice['id']}/certificate")
    assert _verify(client, before_read)["genuine"] is True
    assert litigant.download(f"/inbox/{notice['id']}/certificate") == before_read  # issued once
    litigant.download(f"/inbox/{notice['id']}/document")  # the recipient reads it
    after_read = litigant.download(f"/inbox/{notice['id']}/certificate")
    assert after_read != before_read  # a new certificate shows the read time
    assert _verify(client, after_read)["genuine"] is True
