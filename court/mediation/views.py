"""The administrator's roster of mediators and the complaints about them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from court.db import db
from court.errors import ValidationFailed
from court.mediation import directory
from court.mediation.models import MEDIATOR_TYPE_NAMES, Mediator, MediatorType
from court.web.auth import current_principal, current_staff, load_staff, staff_required

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
