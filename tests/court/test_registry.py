"""Court documents signed on phones by the parties, then sealed by the court (R14)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import subprocess
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from sqlmodel import Session, select

from court.accounts.models import Account
from court.audit import Actor
from court.db import get_engine, unit_of_work
from court.registry import services
from court.registry.models import CourtDocument, DocumentRevision
from litigant_client import LitigantClient
from tests import factories

MEDIATOR = Actor(account_id=None, role="mediator")


def _account_id(litigant: LitigantClient) -> str:
    return litigant.call("GET", "/me")["id"]


def _issue(
    app: Flask,
    session: Session,
    alice: LitigantClient,
    bob: LitigantClient,
    mediator: Account | None = None,
) -> str:
    """Issue a real mediation agreement for two parties (and a mediator) to sign."""
    court = factories.court(session)
    signers = [
        {"field": "party-1", "role": "申请人", "name": "刘小明", "account_id": _account_id(alice)},
        {"field": "party-2", "role": "被申请人", "name": "孙某", "account_id": _account_id(bob)},
    ]
    if mediator is not None:
        signers.append(
            {
                "field": "mediator",
                "role": "调解员",
                "name": mediator.display_name,
                "account_id": mediator.id,
                "kind": "staff",
            }
        )
    context = {
        "court_name": court.name,
        "number": None,
        "organisation": f"{court.name}诉前调解中心",
        "mediator": mediator.display_name if mediator else "王立平",
        "case_number": None,
        "cause": "民间借贷纠纷",
        "parties": [
            {"role": "申请人", "name": "刘小明", "description": "", "agents": []},
            {"role": "被申请人", "name": "孙某", "description": "", "agents": []},
        ],
        "dispute": "被申请人向申请人借款五万元，到期未还。",
        "terms": ["被申请人于2026年12月31日前归还借款人民币50000元。"],
        "performance": "银行转账。",
        "default_clause": "逾期未付的，申请人可申请强制执行。",
        "issued_at": dt.datetime.now(dt.UTC),
    }
    with app.app_context(), unit_of_work(get_engine(app)) as s:
        document = services.issue_rendered(
            s,
            app.extensions["court.blobs"],
            app.extensions["court.evidence_log"],
            MEDIATOR,
            court_id=court.id,
            case_id=None,
            kind="mediation_agreement",
            title="调解协议书",
            template="mediation_agreement.html",
            context=context,
            signers=signers,
            base_url="http://127.0.0.1:8000",
        )
        return document.id


def _seal(app: Flask, document_id: str) -> None:
    from court import components

    with app.test_request_context(), unit_of_work(get_engine(app)) as s:
        services.seal_document(
            s,
            components.blobs(),
            components.evidence_log(),
            Actor.system("court"),
            document_id,
            seal=components.sealing_key(s),
            timestamper=components.timestamper(),
        )


def _root(app: Flask) -> asn1_x509.Certificate:
    cert = app.extensions["court.pki"].certificate("court-root")
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def test_two_parties_sign_on_their_phones_and_the_court_seals_last(
    app: Flask, make_litigant, session: Session, tmp_path: Path
) -> None:
    alice, bob = make_litigant(name="刘小明"), make_litigant(name="孙某")
    document_id = _issue(app, session, alice, bob)
    seen = alice.call("GET", f"/documents/{document_id}")
    assert seen["state"] == "awaiting_signatures"
    assert seen["my_field"] == "party-1"
    from PIL import Image, ImageDraw

    drawing = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(drawing).line((10, 80, 90, 20, 160, 70, 290, 30), fill="black", width=6)
    png = io.BytesIO()
    drawing.save(png, "PNG")
    alice.sign_document(document_id, handwriting_png=png.getvalue())
    done = bob.sign_document(document_id)
    assert done["state"] == "sealed"  # the last signature triggers the court's seal
    assert [s["signed"] for s in done["signers"]] == [True, True]
    pdf = alice.download(f"/documents/{document_id}/pdf")
    reader = PdfFileReader(io.BytesIO(pdf))
    context = ValidationContext(trust_roots=[_root(app)], allow_fetching=False)
    names = []
    stamps = [e for e in reader.embedded_signatures if e.sig_object_type == "/DocTimeStamp"]
    assert len(stamps) == 1  # B-LTA: a document time stamp after the seal
    assert validate_pdf_timestamp(stamps[0], context).valid
    for embedded in reader.embedded_signatures:
        if embedded.sig_object_type != "/Sig":
            continue
        status = validate_pdf_signature(embedded, context)
        assert status.intact
        assert status.valid
        assert status.trusted
        names.append(embedded.field_name)
    assert names == ["party-1", "party-2", "court-seal"]
    (tmp_path / "agreement.pdf").write_bytes(pdf)
    out = subprocess.run(
        ["pdfsig", tmp_path / "agreement.pdf"], capture_output=True, text=True, check=False
    ).stdout
    # pdfsig checks the three signatures; it does not check document time stamps at all.
    assert out.count("Signature is Valid.") == 3
    assert "Invalid" not in out
    session.rollback()
    revisions = session.exec(
        select(DocumentRevision).where(DocumentRevision.document_id == document_id)
    ).all()
    assert [r.reason for r in revisions] == ["issued", "signed:party-1", "signed:party-2", "sealed"]
    assert session.get(CourtDocument, document_id).state == "sealed"


def test_a_stale_preparation_is_refused_and_prepared_again(
    app: Flask, make_litigant, session: Session
) -> None:
    alice, bob = make_litigant(name="刘小明"), make_litigant(name="孙某")
    document_id = _issue(app, session, alice, bob)
    bobs_task = bob.call("POST", f"/documents/{document_id}/signing", {"device_id": bob.device_id})
    # Alice prepares after Bob: only the latest preparation of a document is live ...
    alice.sign_document(document_id)
    stale = bob.call(
        "POST",
        f"/documents/{document_id}/signing/{bobs_task['preparation_id']}",
        {"signature": bob.sign_digest(base64.b64decode(bobs_task["digest"]))},
        expect=409,
    )
    assert stale["error"]["code"] == "signing_preparation_stale"
    # ... so Bob prepares again over Alice's signed revision, which is never rewritten.
    assert bob.sign_document(document_id)["state"] == "sealed"


def test_a_signature_by_another_key_is_refused_and_nothing_changes(
    app: Flask, make_litigant, session: Session
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    alice, bob = make_litigant(), make_litigant()
    document_id = _issue(app, session, alice, bob)
    task = alice.call("POST", f"/documents/{document_id}/signing", {"device_id": alice.device_id})
    forger = LitigantClient(alice.transport, key=ec.generate_private_key(ec.SECP256R1()))
    reply = alice.call(
        "POST",
        f"/documents/{document_id}/signing/{task['preparation_id']}",
        {"signature": forger.sign_digest(base64.b64decode(task["digest"]))},
        expect=422,
    )
    assert reply["error"]["code"] == "signature_invalid"
    assert alice.call("GET", f"/documents/{document_id}")["revision"] == 1


def test_outsiders_cannot_see_or_sign_and_signers_cannot_sign_twice(
    app: Flask, make_litigant, session: Session
) -> None:
    alice, bob, eve = make_litigant(), make_litigant(), make_litigant()
    document_id = _issue(app, session, alice, bob)
    assert eve.call("GET", f"/documents/{document_id}", expect=404)
    assert eve.call(
        "POST", f"/documents/{document_id}/signing", {"device_id": eve.device_id}, expect=404
    )
    alice.sign_document(document_id)
    again = alice.call(
        "POST", f"/documents/{document_id}/signing", {"device_id": alice.device_id}, expect=403
    )
    assert again["error"]["code"] == "not_a_signer"


def test_the_seal_waits_for_every_signer(app: Flask, make_litigant, session: Session) -> None:
    import pytest

    from court.registry.errors import NotReadyToSeal

    alice, bob = make_litigant(), make_litigant()
    document_id = _issue(app, session, alice, bob)
    alice.sign_document(document_id)
    with pytest.raises(NotReadyToSeal):
        _seal(app, document_id)
    session.rollback()
    account = session.exec(select(Account)).first()
    assert account is not None


def test_the_mediator_signs_after_the_parties_with_a_court_held_key(
    app: Flask, make_litigant, session: Session
) -> None:
    import pytest

    from court.accounts.errors import PasswordNotConfirmed
    from court.accounts.models import Role
    from court.accounts.services import confirm_password
    from court.registry.errors import NotReadyToSeal

    alice, bob = make_litigant(), make_litigant()
    mediator = factories.staff(session, Role.MEDIATOR, "mediator1")
    session.commit()
    document_id = _issue(app, session, alice, bob, mediator)

    def sign_as_mediator(password: str) -> None:
        from court import components

        with app.test_request_context(), unit_of_work(get_engine(app)) as s:
            staff = s.get(Account, mediator.id)
            confirm_password(s, components.settings(), staff, password)
            services.sign_as_staff(
                s,
                components.blobs(),
                components.pki(),
                components.evidence_log(),
                components.timestamper(),
                Actor(staff.id, staff.role),
                staff,
                document_id=document_id,
                title="调解员",
            )

    with pytest.raises(NotReadyToSeal):
        sign_as_mediator(factories.STAFF_PASSWORD)  # the parties have not signed yet
    alice.sign_document(document_id)
    bob.sign_document(document_id)
    with pytest.raises(PasswordNotConfirmed):
        sign_as_mediator("wrong password")
    sign_as_mediator(factories.STAFF_PASSWORD)
    _seal(app, document_id)
    pdf = alice.download(f"/documents/{document_id}/pdf")
    context = ValidationContext(trust_roots=[_root(app)], allow_fetching=False)
    signed = [
        e for e in PdfFileReader(io.BytesIO(pdf)).embedded_signatures if e.sig_object_type == "/Sig"
    ]
    assert [e.field_name for e in signed] == ["party-1", "party-2", "mediator", "court-seal"]
    for embedded in signed:
        assert validate_pdf_signature(embedded, context).bottom_line
    assert signed[2].signer_cert.subject.native["title"] == "调解员"


def test_a_mediator_signs_in_the_staff_pages_with_the_password(
    app: Flask, make_litigant, session: Session
) -> None:

    from court.accounts.models import Role

    alice, bob = make_litigant(), make_litigant()
    mediator = factories.staff(session, Role.MEDIATOR, "mediator1")
    session.commit()
    document_id = _issue(app, session, alice, bob, mediator)
    alice.sign_document(document_id)
    bob.sign_document(document_id)
    browser = app.test_client()
    factories.signed_in(browser, "mediator1")
    detail = browser.get(f"/staff/documents/{document_id}").get_data(as_text=True)
    assert "签署本文书" in detail
    token = factories.csrf_token(detail)
    wrong = browser.post(
        f"/staff/documents/{document_id}/sign", data={"password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 403
    ok = browser.post(
        f"/staff/documents/{document_id}/sign",
        data={"password": factories.STAFF_PASSWORD, "csrf_token": token},
    )
    assert ok.status_code == 302
    assert alice.call("GET", f"/documents/{document_id}")["state"] == "sealed"
