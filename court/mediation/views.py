"""The administrator's roster of mediators and the complaints about them."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from court import components
from court.accounts.services import confirm_password
from court.cases.models import Case
from court.db import db
from court.errors import NotFound, ValidationFailed
from court.mediation import directory, meetings, papers, services
from court.mediation.models import (
    GROUND_NAMES,
    MEDIATOR_TYPE_NAMES,
    Appointment,
    Confirmation,
    Mediation,
    MediationDocument,
    MediationState,
    Mediator,
    MediatorType,
    TerminationGround,
)
from court.reference.models import CaseCause
from court.registry import services as registry
from court.registry.models import CourtDocument
from court.registry.views import STATE_NAMES as DOC_STATE_NAMES
from court.threads import services as thread
from court.threads.api import attachment_response, stream_response
from court.threads.models import Attachment
from court.timekeeping import CHINA
from court.web.auth import current_principal, current_staff, load_staff, staff_required
from documents.errors import PageRejected
from documents.uploads import sniff_attachment

roster_web = Blueprint("roster_web", __name__, url_prefix="/staff/mediators")
roster_web.before_request(load_staff)


@roster_web.get("/")
@staff_required("admin")
def roster() -> str:
    court_id = current_staff().court_id or ""
    mediators = (
        db()
        .exec(select(Mediator).where(Mediator.court_id == court_id).order_by(col(Mediator.name)))
        .all()
    )
    return render_template(
        "mediators.html",
        mediators=mediators,
        type_names=MEDIATOR_TYPE_NAMES,
        complaints=directory.complaints(db(), court_id),
    )


@roster_web.post("/")
@staff_required("admin")
def add() -> BaseResponse:
    form = request.form
    name = form.get("name", "").strip()
    organisation = form.get("organisation", "").strip()
    try:
        kind = MediatorType(form.get("type", ""))
    except ValueError as exc:
        raise ValidationFailed(
            {"field": "type"}, zh="调解员类型无效。", en="Bad mediator type."
        ) from exc
    if not name or not organisation:
        raise ValidationFailed(
            {"field": "name"}, zh="姓名和所属组织必填。", en="Name and organisation are required."
        )
    directory.add_mediator(
        db(),
        current_principal().actor(),
        name=name,
        type=kind,
        organisation=organisation,
        court_id=current_staff().court_id or "",
        areas=[a.strip() for a in form.get("areas", "").split(",") if a.strip()],
        expertise=form.get("expertise", ""),
        languages=[x.strip() for x in form.get("languages", "普通话").split(",") if x.strip()],
        charges_fee=form.get("charges_fee") == "on",
        fee_note=form.get("fee_note", ""),
        availability=form.get("availability", ""),
    )
    flash(f"已将 {name} 加入调解员名册。", "info")
    return redirect(url_for("roster_web.roster"))


@roster_web.post("/<mediator_id>/active")
@staff_required("admin")
def toggle(mediator_id: str) -> BaseResponse:
    active = request.form.get("active") == "1"
    directory.set_active(db(), current_principal().actor(), mediator_id, active)
    return redirect(url_for("roster_web.roster"))


# --- the mediation desk: mediators, clerks, administrators and judges -----------------

mediation_web = Blueprint("mediation_web", __name__, url_prefix="/staff/mediations")
mediation_web.before_request(load_staff)

STATE_NAMES = {
    "invited": "待对方同意",
    "choosing": "当事人选择调解员",
    "awaiting_assignment": "待法院指定调解员",
    "awaiting_acceptance": "待调解员接受",
    "in_progress": "调解中",
    "agreed": "达成协议",
    "withdrawn": "和解撤回",
    "terminated": "调解终结",
    "declined": "对方不同意调解",
}
DESK_ROLES = ("mediator", "clerk", "admin", "judge")


def _visible(mediation_id: str, *, lock: bool = False) -> Mediation:
    """The mediator sees their own mediations; court staff see their court's."""
    staff = current_staff()
    if staff.role == "mediator":
        return services.for_mediator(db(), staff, mediation_id, lock=lock)
    return services.for_court_staff(db(), staff, mediation_id, lock=lock)


def _back(mediation_id: str, message: str | None = None) -> BaseResponse:
    if message:
        flash(message, "info")
    return redirect(url_for("mediation_web.detail", mediation_id=mediation_id))


@mediation_web.get("/")
@staff_required(*DESK_ROLES)
def queue() -> str:
    staff = current_staff()
    if staff.role == "mediator":
        found = services.queue_of_mediator(db(), staff)
    else:
        found = services.court_queue(db(), staff.court_id or "")
    return render_template("mediation_queue.html", mediations=found, state_names=STATE_NAMES)


@mediation_web.get("/<mediation_id>")
@staff_required(*DESK_ROLES)
def detail(mediation_id: str) -> str:
    mediation = _visible(mediation_id)
    session = db()
    documents = []
    for paper in papers.current_papers(session, mediation.id):
        document = session.get(CourtDocument, paper.document_id)
        if document is not None:
            documents.append((paper, document))
    staff = current_staff()
    mediators: list[Mediator] = []
    if staff.role in ("clerk", "admin"):
        mediators = list(
            session.exec(
                select(Mediator)
                .where(
                    Mediator.court_id == mediation.court_id,
                    col(Mediator.active).is_(True),
                    col(Mediator.account_id).is_not(None),
                )
                .order_by(col(Mediator.name))
            )
        )
    confirmation = session.exec(
        select(Confirmation).where(Confirmation.mediation_id == mediation.id)
    ).first()
    latest_agreement = papers.current_paper(session, mediation.id, papers.AGREEMENT)
    latest_record = papers.current_paper(session, mediation.id, papers.RECORD)
    return render_template(
        "mediation_detail.html",
        mediation=mediation,
        state_names=STATE_NAMES,
        parties=services.parties_of(session, mediation.id),
        mediator=services.mediator_of(session, mediation),
        cause=session.get(CaseCause, mediation.cause_id),
        case=session.get(Case, mediation.case_id) if mediation.case_id else None,
        documents=documents,
        doc_state_names=DOC_STATE_NAMES,
        mediators=mediators,
        changes=services.pending_changes(session, mediation.id),
        meetings=[
            (m, meetings.attendance_of(session, m.id))
            for m in meetings.sessions_of(session, mediation.id)
        ],
        confirmation=confirmation,
        grounds=[
            (g.value, GROUND_NAMES[g])
            for g in TerminationGround
            if g not in (TerminationGround.AGREEMENT, TerminationGround.SETTLED_AND_WITHDRAWN)
        ],
        agreement=latest_agreement.content if latest_agreement else {},
        record=latest_record.content if latest_record else {},
        attachments=session.exec(
            select(Attachment)
            .where(Attachment.mediation_id == mediation.id)
            .order_by(col(Attachment.created_at))
        ).all(),
        ground_names={g.value: GROUND_NAMES[g] for g in TerminationGround},
        is_mediator=mediation.mediator_id is not None
        and (mediator := services.mediator_of(session, mediation)) is not None
        and mediator.account_id == staff.id,
        running=mediation.state == MediationState.IN_PROGRESS,
    )


@mediation_web.post("/<mediation_id>/accept")
@staff_required("mediator", "judge")
def accept(mediation_id: str) -> BaseResponse:
    services.accept(
        db(),
        current_principal().actor(),
        current_staff(),
        mediation_id=mediation_id,
        disclosure=request.form.get("disclosure", ""),
    )
    return _back(mediation_id, "已接受调解，调解期限开始计算（R13）。")


@mediation_web.post("/<mediation_id>/decline")
@staff_required("mediator", "judge")
def decline(mediation_id: str) -> BaseResponse:
    services.decline(
        db(),
        current_principal().actor(),
        current_staff(),
        components.working_calendar(),
        mediation_id=mediation_id,
        reason=request.form.get("reason", ""),
    )
    flash("已不接受该调解，法院将另行指定。", "info")
    return redirect(url_for("mediation_web.queue"))


@mediation_web.post("/<mediation_id>/assign")
@staff_required("clerk", "admin")
def assign(mediation_id: str) -> BaseResponse:
    services.assign_mediator(
        db(),
        current_principal().actor(),
        current_staff(),
        components.working_calendar(),
        mediation_id=mediation_id,
        mediator_id=request.form.get("mediator_id", ""),
    )
    return _back(mediation_id, "已指定调解员。")


@mediation_web.post("/changes/<request_id>")
@staff_required("clerk", "admin")
def decide_change(request_id: str) -> BaseResponse:
    change = services.decide_change(
        db(),
        current_principal().actor(),
        current_staff(),
        components.working_calendar(),
        request_id=request_id,
        grant=request.form.get("grant") == "1",
        note=request.form.get("note", ""),
    )
    return _back(change.mediation_id, "已作出决定。")


@mediation_web.post("/<mediation_id>/messages")
@staff_required("mediator", "judge")
def post_message(mediation_id: str) -> BaseResponse | tuple[dict[str, object], int]:
    staff = current_staff()
    found = thread.mediation_thread_for_mediator(db(), staff, mediation_id)
    message = thread.post(db(), staff, found, body=request.form.get("body", ""))
    if request.accept_mimetypes.best == "application/json":
        return {"id": message.id}, 201
    return _back(mediation_id)


@mediation_web.get("/<mediation_id>/events")
@staff_required("mediator", "judge")
def events(mediation_id: str) -> Response:
    staff = current_staff()
    found = thread.mediation_thread_for_mediator(db(), staff, mediation_id)
    return stream_response(found, request.args.get("after", 0, type=int), staff.id)


@mediation_web.get("/<mediation_id>/attachments/<attachment_id>")
@staff_required(*DESK_ROLES)
def attachment(mediation_id: str, attachment_id: str) -> Response:
    mediation = _visible(mediation_id)
    found = thread.Thread(mediation.id, None, "")
    item = thread.attachment_in(db(), found, attachment_id)
    return attachment_response(item)


def _lines(name: str) -> list[str]:
    return [line for line in request.form.get(name, "").splitlines() if line.strip()]


@mediation_web.post("/<mediation_id>/papers/<kind>")
@staff_required("mediator", "judge")
def issue_paper(mediation_id: str, kind: str) -> BaseResponse:
    if kind == papers.AGREEMENT:
        content: dict[str, object] = {
            "dispute": request.form.get("dispute", ""),
            "terms": _lines("terms"),
            "performance": request.form.get("performance", ""),
            "default_clause": request.form.get("default_clause", ""),
        }
    elif kind == papers.RECORD:
        content = {"statements": _lines("statements")}
    else:
        raise NotFound({"kind": kind})
    document = papers.issue_paper(
        db(),
        components.document_tools(),
        current_principal().actor(),
        current_staff(),
        mediation_id=mediation_id,
        kind=kind,
        content=content,
    )
    return _back(mediation_id, f"已生成{document.title}，核验码 {document.short_code}，等待签署。")


@mediation_web.post("/<mediation_id>/sessions")
@staff_required("mediator", "judge")
def schedule(mediation_id: str) -> BaseResponse:
    raw = request.form.get("starts_at", "")
    try:
        local = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(
            {"field": "starts_at"}, zh="时间格式不正确。", en="Bad time."
        ) from exc
    if local.tzinfo is None:
        local = local.replace(tzinfo=CHINA)
    meetings.schedule(
        db(),
        current_principal().actor(),
        current_staff(),
        mediation_id=mediation_id,
        starts_at=local,
    )
    return _back(mediation_id, "已安排调解会议。")


@mediation_web.post("/<mediation_id>/sessions/<session_id>/<action>")
@staff_required("mediator", "judge")
def session_action(mediation_id: str, session_id: str, action: str) -> BaseResponse:
    if action not in ("open", "close"):
        raise NotFound({"action": action})
    meetings.set_open(
        db(),
        current_principal().actor(),
        current_staff(),
        mediation_id=mediation_id,
        session_id=session_id,
        open_=action == "open",
    )
    return _back(mediation_id)


@mediation_web.post("/<mediation_id>/extension")
@staff_required("mediator", "judge")
def extension(mediation_id: str) -> BaseResponse:
    mediation = services.for_mediator(db(), current_staff(), mediation_id, lock=True)
    days = request.form.get("days", "")
    if not days.isdigit():
        raise ValidationFailed({"field": "days"}, zh="请填写延长天数。", en="Give the days.")
    services.propose_extension(db(), current_principal().actor(), mediation, int(days), None)
    return _back(mediation_id, "已提议延长调解期限，待各方当事人同意（R13）。")


@mediation_web.post("/<mediation_id>/close")
@staff_required("mediator", "judge")
def close(mediation_id: str) -> BaseResponse:
    mediation = services.for_mediator(db(), current_staff(), mediation_id, lock=True)
    try:
        ground = TerminationGround(request.form.get("ground", ""))
    except ValueError as exc:
        raise ValidationFailed(
            {"field": "ground"}, zh="请选择终结事由。", en="Pick a ground."
        ) from exc
    if ground == TerminationGround.AGREEMENT:
        raise ValidationFailed(
            {"field": "ground"},
            zh="达成协议以各方当事人签署调解协议为准（R14），不能直接标记。",
            en="An agreement takes effect by the parties' signatures (R14).",
        )
    if (
        ground != TerminationGround.SETTLED_AND_WITHDRAWN
        and not request.form.get("undisputed_facts", "").strip()
    ):
        raise ValidationFailed(
            {"field": "undisputed_facts"},
            zh="调解终结的，应当记录无争议事实（没有的写“无”）（R16）。",
            en="Record the undisputed facts (or 无) (R16).",
        )
    services.close(
        db(),
        current_principal().actor(),
        mediation,
        ground,
        undisputed_facts=request.form.get("undisputed_facts", ""),
        cost_conduct=request.form.get("cost_conduct", ""),
        note=request.form.get("note", "").strip(),
    )
    return _back(mediation_id, "调解已结束。")


@mediation_web.post("/<mediation_id>/wet-ink/<document_id>")
@staff_required("clerk")
def wet_ink(mediation_id: str, document_id: str) -> BaseResponse:
    """R15: upload the scan of the paper signed in person; the issued PDF stays as it was."""
    mediation = _visible(mediation_id)
    paper = db().get(MediationDocument, document_id)
    if paper is None or paper.mediation_id != mediation.id:
        raise NotFound({"document": document_id})
    upload = request.files.get("scan")
    data = upload.read(thread.MAX_ATTACHMENT_BYTES + 1) if upload else b""
    try:
        media_type = sniff_attachment(data, max_bytes=thread.MAX_ATTACHMENT_BYTES)
    except PageRejected as exc:
        raise ValidationFailed(
            {"reason": exc.code},
            zh="请上传完整的扫描件（PDF 或图片，不超过 10 MB）。",
            en="Upload the whole scan (PDF or image, at most 10 MB).",
        ) from exc
    registry.record_wet_ink_signing(
        db(),
        components.blobs(),
        components.evidence_log(),
        current_principal().actor(),
        current_staff(),
        document_id=document_id,
        scan=data,
        media_type=media_type,
    )
    return _back(mediation_id, "已登记当面签署的扫描件（R15）。")


@mediation_web.post("/<mediation_id>/confirmation")
@staff_required("judge")
def decide_confirmation(mediation_id: str) -> BaseResponse:
    staff = current_staff()
    session = db()
    confirm_password(session, components.settings(), staff, request.form.get("password", ""))
    papers.decide_confirmation(
        session,
        components.document_tools(),
        current_principal().actor(),
        staff,
        mediation_id=mediation_id,
        grant=request.form.get("grant") == "1",
        reasons=request.form.get("reasons", ""),
    )
    return _back(mediation_id, "已作出司法确认裁定并送达。")


# --- consultations booked with the mediator -------------------------------------------


@mediation_web.get("/consultations/")
@staff_required("mediator", "judge")
def consultations() -> str:
    staff = current_staff()
    rows = db().exec(
        select(Appointment, Mediator)
        .join(Mediator, col(Mediator.id) == Appointment.mediator_id)
        .where(Mediator.account_id == staff.id)
        .order_by(col(Appointment.starts_at))
    )
    return render_template("consultations.html", appointments=[a for a, _ in rows])


@mediation_web.get("/consultations/<appointment_id>")
@staff_required("mediator", "judge")
def consultation(appointment_id: str) -> str:
    thread.consultation_thread(db(), current_staff(), appointment_id)
    appointment = db().get(Appointment, appointment_id)
    return render_template("consultation.html", appointment=appointment)


@mediation_web.post("/consultations/<appointment_id>/messages")
@staff_required("mediator", "judge")
def consultation_message(appointment_id: str) -> BaseResponse | tuple[dict[str, object], int]:
    staff = current_staff()
    found = thread.consultation_thread(db(), staff, appointment_id)
    message = thread.post(db(), staff, found, body=request.form.get("body", ""))
    if request.accept_mimetypes.best == "application/json":
        return {"id": message.id}, 201
    return redirect(url_for("mediation_web.consultation", appointment_id=appointment_id))


@mediation_web.get("/consultations/<appointment_id>/events")
@staff_required("mediator", "judge")
def consultation_events(appointment_id: str) -> Response:
    staff = current_staff()
    found = thread.consultation_thread(db(), staff, appointment_id)
    return stream_response(found, request.args.get("after", 0, type=int), staff.id)


@mediation_web.get("/consultations/<appointment_id>/attachments/<attachment_id>")
@staff_required("mediator", "judge")
def consultation_attachment(appointment_id: str, attachment_id: str) -> Response:
    found = thread.consultation_thread(db(), current_staff(), appointment_id)
    item = thread.attachment_in(db(), found, attachment_id)
    return attachment_response(item)
