"""Staff pages for court documents: what awaits my signature, and signing it."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from court import components
from court.accounts.services import confirm_password
from court.db import db
from court.errors import NotFound, ValidationFailed
from court.registry import services
from court.registry.models import CourtDocument, DocumentRevision, DocumentState
from court.web.auth import current_principal, current_staff, load_staff, staff_required
from court.web.views import ROLE_NAMES

registry_web = Blueprint("registry_web", __name__, url_prefix="/staff/documents")
registry_web.before_request(load_staff)

STATE_NAMES = {
    "draft": "草稿",
    "awaiting_signatures": "待签署",
    "signed": "已签署",
    "sealed": "已盖章",
    "superseded": "已被新版本取代",
    "revoked": "已撤销",
}


def _court_document(document_id: str) -> CourtDocument:
    document = db().get(CourtDocument, document_id)
    if document is None or document.court_id != current_staff().court_id:
        raise NotFound({"document": document_id})
    return document


@registry_web.get("/")
@staff_required("judge", "mediator", "clerk")
def my_documents() -> str:
    staff = current_staff()
    documents = db().exec(
        select(CourtDocument)
        .where(CourtDocument.court_id == staff.court_id)
        .order_by(col(CourtDocument.created_at).desc())
    )
    mine = [
        d
        for d in documents
        if any(s.get("account_id") == staff.id for s in d.signers) or staff.role == "clerk"
    ]
    return render_template("documents_list.html", documents=mine, state_names=STATE_NAMES)


@registry_web.get("/<document_id>")
@staff_required("judge", "mediator", "clerk")
def detail(document_id: str) -> str:
    document = _court_document(document_id)
    revisions = (
        db()
        .exec(
            select(DocumentRevision)
            .where(DocumentRevision.document_id == document.id)
            .order_by(col(DocumentRevision.number))
        )
        .all()
    )
    staff = current_staff()
    my_field = services.open_field(document, staff.id)
    return render_template(
        "document_detail.html",
        document=document,
        revisions=revisions,
        my_field=my_field,
        state_names=STATE_NAMES,
    )


@registry_web.get("/<document_id>.pdf")
@staff_required("judge", "mediator", "clerk")
def pdf(document_id: str) -> Response:
    document = _court_document(document_id)
    with components.blobs().open(document.current_sha256) as fh:
        return Response(fh.read(), mimetype="application/pdf")


@registry_web.post("/<document_id>/sign")
@staff_required("judge", "mediator")
def sign(document_id: str) -> BaseResponse:
    """Sign with the court-held key after re-entering the password (step-up)."""
    staff = current_staff()
    session = db()
    confirm_password(session, components.settings(), staff, request.form.get("password", ""))
    document = services.sign_as_staff(
        session,
        components.blobs(),
        components.pki(),
        components.evidence_log(),
        components.timestamper(),
        current_principal().actor(),
        staff,
        document_id=document_id,
        title=ROLE_NAMES[staff.role],
        seal=components.sealing_key(db()),
    )
    sealed = document.state == DocumentState.SEALED
    flash("已签名" + ("，全部签署完成，已加盖法院电子印章。" if sealed else "。"), "info")
    return redirect(url_for("registry_web.detail", document_id=document_id))


@registry_web.post("/<document_id>/revoke")
@staff_required("judge", "admin")
def revoke(document_id: str) -> BaseResponse:
    """Revoke a document the court issued in error (password re-entered, reason required)."""
    staff = current_staff()
    session = db()
    confirm_password(session, components.settings(), staff, request.form.get("password", ""))
    reason = request.form.get("reason", "").strip()
    if not reason:
        raise ValidationFailed(
            {"field": "reason"}, zh="撤销文书必须说明理由。", en="A reason is required."
        )
    services.withdraw_document(
        session,
        components.evidence_log(),
        current_principal().actor(),
        document_id,
        court_id=staff.court_id or "",
        to=DocumentState.REVOKED,
        reason=reason,
    )
    flash("文书已撤销，核验时将显示为已撤销。", "info")
    return redirect(url_for("registry_web.detail", document_id=document_id))
