"""The clerk's pages: the queue of filings, a filing with its pages, and the decisions."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from court import components
from court.accounts.models import Account
from court.cases.models import PARTY_ROLE_NAMES
from court.db import db, utcnow
from court.devices.models import Device
from court.errors import ValidationFailed
from court.filing import decisions, review
from court.filing.models import Page, Submission
from court.filing.notices import KIND_NAMES
from court.filing.services import pages_of, pseudonym
from court.timekeeping import local_date
from court.web.auth import current_principal, current_staff, load_staff, staff_required
from signing.errors import SigningError
from signing.signatures import verify_device_signature

filing_web = Blueprint("filing_web", __name__, url_prefix="/staff/filings")
filing_web.before_request(load_staff)

STATE_NAMES = {
    "draft": "草稿",
    "submitted": "待审核",
    "correction_requested": "待补正",
    "corrected": "已补正待审核",
    "accepted": "已立案",
    "rejected": "不予受理",
}


@filing_web.get("/")
@staff_required("clerk")
def queue() -> str:
    court_id = current_staff().court_id or ""
    return render_template(
        "filing_queue.html",
        waiting=review.clerk_queue(db(), court_id),
        corrections=review.corrections_pending(db(), court_id),
        kind_names=KIND_NAMES,
        state_names=STATE_NAMES,
    )


def signature_status(submission: Submission) -> dict[str, object]:
    """Check the stored signature again, for the clerk to see (never trusted blindly)."""
    device = db().get(Device, submission.device_id) if submission.device_id else None
    if device is None or submission.manifest is None or submission.signature is None:
        return {"ok": False, "reason": "未签名"}
    cert = x509.load_pem_x509_certificate(device.certificate_pem.encode())
    try:
        verify_device_signature(cert, submission.manifest.encode(), submission.signature)
    except SigningError as exc:
        return {"ok": False, "reason": exc.reason, "device": device}
    return {"ok": True, "device": device, "subject": cert.subject.rfc4514_string()}


@filing_web.get("/<submission_id>")
@staff_required("clerk")
def detail(submission_id: str) -> str:
    submission = review.submission_for_clerk(db(), current_staff(), submission_id)
    filer = db().get(Account, submission.account_id)
    corrections = review.corrections_of(db(), submission.id)
    return render_template(
        "filing_detail.html",
        submission=submission,
        filer=filer,
        pages=pages_of(db(), submission.id),
        corrections=[(c, pages_of(db(), c.id)) for c in corrections],
        signature=signature_status(submission),
        kind_names=KIND_NAMES,
        state_names=STATE_NAMES,
        checklist=review.CORRECTION_CHECKLIST,
        party_roles=PARTY_ROLE_NAMES,
        default_deadline=local_date(utcnow()) + dt.timedelta(days=7),
    )


@filing_web.get("/pages/<page_id>.jpg")
@staff_required("clerk")
def page_image(page_id: str) -> Response:
    """The display copy of a page (no metadata), for clerks of the filing's court only."""
    page = db().get(Page, page_id)
    if page is None:
        abort(404)
    review.submission_for_clerk(db(), current_staff(), page.submission_id)
    with components.blobs().open(page.display_sha256) as fh:
        data = fh.read()
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _tools() -> decisions.Tools:
    settings = components.settings()
    return decisions.Tools(
        blobs=components.blobs(),
        log=components.evidence_log(),
        seal=components.sealing_key(db()),
        timestamper=components.timestamper(),
        court_name=settings.court_name,
        actor_pseudonym=pseudonym(components.log_actor_key(), current_staff().id),
        base_url=settings.public_base_url,
        id_protector=components.id_protector(),
    )


def _deadline() -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get("deadline", ""))
    except ValueError as exc:
        raise ValidationFailed(
            {"field": "deadline"}, zh="补正期限日期无效。", en="Bad deadline."
        ) from exc


@filing_web.post("/<submission_id>/register")
@staff_required("clerk")
def register(submission_id: str) -> BaseResponse:
    outcome = decisions.register_filing(
        db(), _tools(), current_principal().actor(), current_staff(), submission_id
    )
    case = outcome.decision.case
    number = f"，案号 {case.case_number}" if case and case.case_number else ""
    flash(f"已登记立案{number}，立案材料卷已加盖电子印章，受理通知书已电子送达。", "info")
    return redirect(url_for("filing_web.detail", submission_id=submission_id))


@filing_web.post("/<submission_id>/correction")
@staff_required("clerk")
def request_correction(submission_id: str) -> BaseResponse:
    decisions.ask_for_correction(
        db(),
        _tools(),
        current_principal().actor(),
        current_staff(),
        submission_id,
        items=request.form.getlist("items"),
        note=request.form.get("note", ""),
        deadline=_deadline(),
    )
    flash("补正通知书已电子送达。", "info")
    return redirect(url_for("filing_web.detail", submission_id=submission_id))


@filing_web.post("/<submission_id>/reject")
@staff_required("clerk")
def reject(submission_id: str) -> BaseResponse:
    decisions.reject_filing(
        db(),
        _tools(),
        current_principal().actor(),
        current_staff(),
        submission_id,
        reasons=request.form.get("reasons", ""),
    )
    flash("不予受理裁定书已电子送达。", "info")
    return redirect(url_for("filing_web.detail", submission_id=submission_id))
