"""The clerk's review (R7) through the staff pages, and what the litigant then receives."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from court.accounts.models import Court, Role
from court.cases.models import Case
from court.db import get_engine, unit_of_work
from court.filing.numbering import CaseType, next_case_number
from court.timekeeping import CHINA, local_date
from litigant_client import Filing, LitigantClient
from signing.evidence import merkle
from tests import factories
from tests.factories import document_photo

COMPLAINT = {
    "parties": [
        {"role": "plaintiff", "name": "刘小明"},
        {"role": "defendant", "name": "宁波某商贸有限公司", "kind": "organisation"},
    ],
    "claims": ["判令被告支付货款 12,000 元"],
}


def _file(litigant: LitigantClient, kind: str = "complaint", *, sign_extra=None, **fields) -> str:
    filing = Filing(litigant)
    draft = filing.open(kind, **fields)
    filing.upload_page(draft["id"], document_photo())
    filing.sign(draft["id"], **(sign_extra or {}))
    return draft["id"]


def _handwriting_png() -> str:
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((10, 80, 90, 20, 160, 70, 290, 30), fill="black", width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _clerk(app: Flask, session: Session, username: str = "clerk1") -> FlaskClient:
    factories.staff(session, Role.CLERK, username)
    session.commit()
    return factories.signed_in(app.test_client(), username)


def _form(clerk: FlaskClient, submission_id: str, action: str, **fields):
    token = factories.csrf_token(
        clerk.get(f"/staff/filings/{submission_id}").get_data(as_text=True)
    )
    return clerk.post(
        f"/staff/filings/{submission_id}/{action}", data={"csrf_token": token, **fields}
    )


def test_a_clerk_registers_a_complaint_and_the_litigant_is_served_the_notice(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant(name="刘小明")
    submission_id = _file(litigant, details=COMPLAINT)
    clerk = _clerk(app, session)
    dashboard = clerk.get("/staff/").get_data(as_text=True)
    assert f"/staff/filings/{submission_id}" in dashboard
    detail = clerk.get(f"/staff/filings/{submission_id}").get_data(as_text=True)
    assert "签名有效" in detail
    assert "第 1 页" in detail
    page_img = re.search(r'src="(/staff/filings/pages/[^"]+\.jpg)"', detail).group(1)
    image = clerk.get(page_img)
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"
    assert _form(clerk, submission_id, "register").status_code == 302
    cases = litigant.call("GET", "/cases")["items"]
    year = local_date(dt.datetime.now(dt.UTC)).year
    assert [c["case_number"] for c in cases] == [f"({year})浙0203民初1号"]
    assert cases[0]["state"] == "registered"
    assert cases[0]["title"] == "刘小明诉宁波某商贸有限公司"
    detail = litigant.call("GET", f"/cases/{cases[0]['id']}")
    assert detail["next_step"]["code"] == "registered"
    assert litigant.call("GET", f"/submissions/{submission_id}")["has_packet"] is True
    inbox = litigant.call("GET", "/inbox")["items"]
    assert [d["kind"] for d in inbox] == ["acceptance_notice"]
    notice = inbox[0]
    assert notice["read_at"] is None
    assert notice["consent_ground"] == "filing_e_address"
    assert litigant.download(f"/inbox/{notice['id']}/document").startswith(b"%PDF-")
    assert litigant.call("GET", "/inbox")["items"][0]["read_at"] is not None
    certificate = litigant.download(f"/inbox/{notice['id']}/certificate")
    assert certificate.startswith(b"%PDF-")
    # The case lists the notice served on the plaintiff (read by now), and where to read it.
    [served] = litigant.call("GET", f"/cases/{cases[0]['id']}")["documents"]
    assert (served["source"], served["id"], served["kind"], served["state"]) == (
        "served", notice["id"], "acceptance_notice", "read"
    )  # fmt: skip
    assert served["pdf"] == f"/api/v1/inbox/{notice['id']}/document"


def test_registration_decisions_and_service_are_in_the_evidence_log(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    clerk = _clerk(app, session)
    _form(clerk, submission_id, "register")
    from signing.evidence.models import LogLeaf

    events = [leaf.event for leaf in session.exec(select(LogLeaf).order_by(LogLeaf.index))]
    assert events == [
        "submission.signed",
        "clerk.decision",
        "document.revision",  # the sealed filing packet, registered
        "filing.packet",
        "document.revision",  # the sealed acceptance notice, registered
        "document.served",
    ]
    leaves = [leaf.leaf_hash for leaf in session.exec(select(LogLeaf).order_by(LogLeaf.index))]
    log = app.extensions["court.evidence_log"]
    assert log.root(session, 6) == merkle.root_from_leaf_hashes(leaves)


def test_one_correction_notice_then_the_correction_restarts_the_period(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    clerk = _clerk(app, session)
    deadline = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    reply = _form(
        clerk,
        submission_id,
        "correction",
        items=["defendant_identity", "illegible_pages"],
        note="请补充被告统一社会信用代码",
        deadline=deadline,
    )
    assert reply.status_code == 302
    original = litigant.call("GET", f"/submissions/{submission_id}")
    assert original["state"] == "correction_requested"
    assert original["next_step"]["code"] == "submit_correction"
    assert original["next_step"]["due"] == deadline
    assert original["correction_items"] == [
        "被告身份信息不完整（姓名或名称、住所、联系方式）",
        "照片不清晰、不完整，无法辨认",
        "请补充被告统一社会信用代码",
    ]
    assert [d["kind"] for d in litigant.call("GET", "/inbox")["items"]] == ["correction_notice"]
    correction_id = _file(litigant, "correction", corrects_id=submission_id)
    assert litigant.call("GET", f"/submissions/{submission_id}")["state"] == "corrected"
    from court.filing.models import Submission

    session.rollback()
    restarted = session.get(Submission, submission_id).review_period_start
    signed = session.get(Submission, correction_id).signed_at
    assert restarted == local_date(signed) + dt.timedelta(days=1)
    # R7: never a second correction notice.
    second = _form(clerk, submission_id, "correction", items=["claims_unclear"], deadline=deadline)
    assert second.status_code == 409
    assert _form(clerk, submission_id, "register").status_code == 302
    assert litigant.call("GET", f"/submissions/{correction_id}")["state"] == "accepted"


#: 03:25 on 4 December in Beijing, where the court sits, is still 3 December in UTC.
BEIJING_SMALL_HOURS = dt.datetime(2026, 12, 3, 19, 25, tzinfo=dt.UTC)


def _beijing(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Beijing wall-clock time on ``day``, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(hour, minute), CHINA).astimezone(dt.UTC)


def _court_today() -> dt.date:
    """Decisions are sealed with certificates minted when the test instance was made, so a
    test that seals travels forward from the real time, never back before it."""
    return local_date(dt.datetime.now(dt.UTC))


def test_the_acceptance_period_starts_on_the_court_s_date_not_utc_s(
    app: Flask, make_litigant, session: Session
) -> None:
    with time_machine.travel(BEIJING_SMALL_HOURS, tick=False):
        litigant = make_litigant()
        submission_id = _file(litigant, details=COMPLAINT)
        clerk = _clerk(app, session)
        detail = clerk.get(f"/staff/filings/{submission_id}").get_data(as_text=True)
        mine = litigant.call("GET", f"/submissions/{submission_id}")
        # Still on that day: the clerk's sign-in would have long expired by today.
        queue = clerk.get("/staff/filings/").get_data(as_text=True)
    assert "<th>受理期限起算日</th><td>2026-12-04</td>" in detail
    # The clerk reads the court's clock, as the deadlines count it (not UTC's 19:25 the day before).
    assert "<th>提交时间</th><td>2026-12-04 03:25:00（北京时间）</td>" in detail
    assert "2026-12-04 03:25" in queue
    assert "2026-12-03 19:25" not in queue
    assert mine["next_step"]["code"] == "await_review"
    assert mine["next_step"]["due"] == "2026-12-11"


def test_corrections_arriving_in_beijing_small_hours_restart_the_period_the_next_day(
    app: Flask, make_litigant, session: Session
) -> None:
    day = _court_today() + dt.timedelta(days=1)
    small_hours = _beijing(day, 3, 25)
    assert small_hours.date() == day - dt.timedelta(days=1)  # still the day before in UTC
    with time_machine.travel(small_hours, tick=False):
        litigant = make_litigant()
        submission_id = _file(litigant, details=COMPLAINT)
        clerk = _clerk(app, session)
        page = clerk.get(f"/staff/filings/{submission_id}").get_data(as_text=True)
        # It is already ``day`` at the court: a deadline of "today" is no deadline.
        items = ["claims_unclear"]
        today = _form(clerk, submission_id, "correction", items=items, deadline=day.isoformat())
        assert today.status_code == 422
        week = (day + dt.timedelta(days=7)).isoformat()
        asked = _form(clerk, submission_id, "correction", items=items, deadline=week)
        assert asked.status_code == 302
        _file(litigant, "correction", corrects_id=submission_id)
        original = litigant.call("GET", f"/submissions/{submission_id}")
    # The clerk's default deadline is seven days from the court's today.
    assert f'name="deadline" value="{week}"' in page
    assert original["state"] == "corrected"
    # R7: the corrections arrived on ``day`` (Beijing); the period restarts the day after.
    restarted = day + dt.timedelta(days=1)
    assert original["next_step"]["due"] == (restarted + dt.timedelta(days=7)).isoformat()


def test_a_case_registered_on_new_year_s_morning_in_beijing_is_numbered_in_the_new_year(
    app: Flask, make_litigant, session: Session
) -> None:
    new_year = dt.date(_court_today().year + 1, 1, 1)
    with time_machine.travel(_beijing(new_year, 1, 0), tick=False):  # 17:00 UTC, 31 December
        litigant = make_litigant()
        submission_id = _file(litigant, details=COMPLAINT)
        clerk = _clerk(app, session)
        assert _form(clerk, submission_id, "register").status_code == 302
        cases = litigant.call("GET", "/cases")["items"]
    assert [c["case_number"] for c in cases] == [f"({new_year.year})浙0203民初1号"]


def test_a_rejection_is_served_as_a_ruling_with_reasons(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    clerk = _clerk(app, session)
    assert _form(clerk, submission_id, "reject", reasons="").status_code == 422
    assert _form(clerk, submission_id, "reject", reasons="不属于本院管辖").status_code == 302
    assert litigant.call("GET", f"/submissions/{submission_id}")["state"] == "rejected"
    assert litigant.call("GET", "/inbox")["items"][0]["kind"] == "rejection_ruling"
    assert litigant.call("GET", "/cases")["items"] == []


def test_a_withdrawal_and_an_enforcement_application_are_registered(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    clerk = _clerk(app, session)
    complaint = _file(litigant, details=COMPLAINT)
    _form(clerk, complaint, "register")
    case_id = litigant.call("GET", "/cases")["items"][0]["id"]
    withdrawal = _file(litigant, "withdrawal", case_id=case_id)
    _form(clerk, withdrawal, "register")
    assert litigant.call("GET", f"/cases/{case_id}")["state"] == "withdrawn"
    enforcement = _file(
        litigant,
        "enforcement",
        details={
            "parties": [{"role": "respondent", "name": "孙某"}],
            "enforced_document": {
                "type": "mediation",
                "number": "(2025)浙0203民初45号",
                "effective_date": "2026-01-10",
            },
        },
    )
    _form(clerk, enforcement, "register")
    year = local_date(dt.datetime.now(dt.UTC)).year
    numbers = {c["case_number"] for c in litigant.call("GET", "/cases")["items"]}
    assert f"({year})浙0203执1号" in numbers
    notices = [d["title"] for d in litigant.call("GET", "/inbox")["items"]]
    assert any("执1号" in t for t in notices)


def test_a_clerk_of_another_court_cannot_see_or_act(
    app: Flask, make_litigant, session: Session
) -> None:
    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    other = Court(code="浙0212", name="宁波市鄞州区人民法院")
    session.add(other)
    session.commit()
    from court.accounts.services import create_staff
    from court.audit import Actor

    create_staff(
        session,
        Actor.system("test"),
        username="other-clerk",
        display_name="外院",
        role=Role.CLERK,
        court=other,
        password=factories.STAFF_PASSWORD,
    )
    session.commit()
    client = app.test_client()
    factories.signed_in(client, "other-clerk")
    assert client.get(f"/staff/filings/{submission_id}").status_code == 404
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert submission_id not in dashboard
    token = factories.csrf_token(dashboard)
    reply = client.post(f"/staff/filings/{submission_id}/register", data={"csrf_token": token})
    assert reply.status_code in (400, 404)
    assert litigant.call("GET", f"/submissions/{submission_id}")["state"] == "submitted"


def test_a_judge_cannot_use_the_clerk_pages(app: Flask, session: Session) -> None:
    factories.staff(session, Role.JUDGE, "judge1")
    session.commit()
    client = app.test_client()
    factories.signed_in(client, "judge1")
    assert client.get("/staff/filings/").status_code == 403


def test_case_serials_are_unique_under_concurrent_registration(
    app: Flask, session: Session
) -> None:
    court = factories.court(session)
    session.commit()
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def allocate() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with unit_of_work(get_engine(app)) as s:
                    numbers.append(
                        next_case_number(
                            s,
                            court_id=court.id,
                            court_code=court.code,
                            year=2026,
                            case_type=CaseType.CIVIL_FIRST_INSTANCE,
                        )
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = {f"(2026)浙0203民初{i}号" for i in range(1, 31)}
    assert len(numbers) == 30
    assert set(numbers) == expected


@pytest.mark.parametrize("case_type", [CaseType.CIVIL_FIRST_INSTANCE, CaseType.ENFORCEMENT])
def test_serials_run_per_court_year_and_type(session: Session, case_type: CaseType) -> None:
    court = factories.court(session)
    first = next_case_number(
        session, court_id=court.id, court_code=court.code, year=2026, case_type=case_type
    )
    other_year = next_case_number(
        session, court_id=court.id, court_code=court.code, year=2027, case_type=case_type
    )
    assert first == f"(2026)浙0203{case_type.value}1号"
    assert other_year == f"(2027)浙0203{case_type.value}1号"
    assert session.exec(select(Case)).all() == []


def test_the_registered_filing_is_bound_into_a_sealed_packet_that_validates(
    app: Flask, make_litigant, session: Session, tmp_path
) -> None:
    import io
    import subprocess

    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    litigant = make_litigant()
    submission_id = _file(
        litigant, details=COMPLAINT, sign_extra={"handwriting_png": _handwriting_png()}
    )
    clerk = _clerk(app, session)
    _form(clerk, submission_id, "register")
    pdf = litigant.download(f"/submissions/{submission_id}/packet")
    root = app.extensions["court.pki"].certificate("court-root")
    from cryptography.hazmat.primitives import serialization

    trust = asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = [e for e in reader.embedded_signatures if e.sig_object_type == "/Sig"]
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[trust], allow_fetching=False)
    )
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact
    assert status.timestamp_validity.valid
    (tmp_path / "packet.pdf").write_bytes(pdf)
    # The cover shows the handwritten signature drawn on the phone.
    text = subprocess.run(
        ["pdfimages", "-list", tmp_path / "packet.pdf"], capture_output=True, text=True, check=True
    ).stdout
    assert len([line for line in text.splitlines()[2:] if line.strip()]) >= 2  # photo + handwriting
    pdfsig = subprocess.run(
        ["pdfsig", tmp_path / "packet.pdf"], capture_output=True, text=True, check=False
    )
    assert "Signature is Valid." in pdfsig.stdout
    # Tampering with one byte inside the signed range breaks it.
    tampered = bytearray(pdf)
    position = pdf.index(b"/Type /Page") + 2
    tampered[position] ^= 0x01
    from documents.verify import verify_pdf

    assert verify_pdf(pdf, trust_roots=[root]).passed  # offline, from what it carries
    assert not verify_pdf(bytes(tampered), trust_roots=[root]).passed


def test_registration_skips_numbers_already_taken(app: Flask, session: Session) -> None:
    """The demo data (or an import) may hold numbers the counter never handed out."""
    from court.cases.models import CaseState, Procedure
    from court.db import utcnow

    court = factories.court(session)
    year = local_date(dt.datetime.now(dt.UTC)).year
    session.add(
        Case(
            court_id=court.id,
            case_number=f"({year})浙0203民初1号",
            title="imported",
            procedure=Procedure.SIMPLE.value,
            state=CaseState.REGISTERED.value,
            created_at=utcnow(),
        )
    )
    session.commit()
    number = next_case_number(
        session,
        court_id=court.id,
        court_code=court.code,
        year=year,
        case_type=CaseType.CIVIL_FIRST_INSTANCE,
    )
    assert number == f"({year})浙0203民初2号"


def test_after_the_demo_seed_a_clerk_can_register(
    app: Flask, make_litigant, session: Session
) -> None:
    from court.db import get_engine, unit_of_work
    from court.demo import seed_demo

    with app.app_context(), unit_of_work(get_engine(app)) as s:
        seed_demo(s, app.extensions["court.settings"], app.extensions["court.secrets"])
    litigant = make_litigant()
    submission_id = _file(litigant, details=COMPLAINT)
    session.rollback()
    clerk = _clerk(app, session, "clerk2")
    assert _form(clerk, submission_id, "register").status_code == 302
    year = local_date(dt.datetime.now(dt.UTC)).year
    assert litigant.call("GET", "/cases")["items"][0]["case_number"] == f"({year})浙0203民初2号"
