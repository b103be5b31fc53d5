"""The judge's hearing pages: schedule, findings with reasons and the eligibility decision,
the conference's states, attendance."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from court import components
from court.accounts.services import mask_phone
from court.cases import linking
from court.cases.models import PARTY_ROLE_NAMES, Case, CaseParty, CaseState
from court.db import db, will_write
from court.eligibility import QUESTION_TEXT, JudgeQuestion
from court.errors import ValidationFailed
from court.hearing import media, notices, services
from court.hearing.models import (
    EXCUSED,
    HEARING_MOVES,
    ROLE_NAMES,
    STATE_NAMES,
    AbsenceReason,
    HearingConsent,
    HearingState,
    Objection,
    ParticipantRole,
)
from court.hearing.transcript import current_transcript, issue_transcript
from court.threads import services as thread
from court.threads.api import attachment_response, stream_response
from court.timekeeping import CHINA
from court.web.auth import current_principal, current_staff, load_staff, staff_required

hearing_web = Blueprint("hearing_web", __name__, url_prefix="/staff/hearings")
hearing_web.before_request(load_staff)

ABSENCE_NAMES = {
    AbsenceReason.NETWORK_FAILURE: "网络故障",
    AbsenceReason.DEVICE_DAMAGE: "设备损坏",
    AbsenceReason.POWER_CUT: "电力中断",
    AbsenceReason.FORCE_MAJEURE: "不可抗力",
    AbsenceReason.NO_GOOD_REASON: "无正当理由未参加（视为拒不到庭）",
    AbsenceReason.LEFT_WITHOUT_PERMISSION: "擅自退出且经提示未返回（视为中途退庭）",
    AbsenceReason.ATTENDED_IN_PERSON: "改为到庭参加（未缺席）",
}
MOVES = {
    "open": (HearingState.IN_SESSION, "开庭"),
    "pause": (HearingState.PAUSED, "休庭"),
    "resume": (HearingState.IN_SESSION, "继续开庭"),
    "suspend": (HearingState.SUSPENDED, "中止"),
    "close": (HearingState.CLOSED, "闭庭"),
    "cancel": (HearingState.CANCELLED, "取消"),
}


def _local(raw: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed({"field": "scheduled_at"}, zh="时间格式不正确。") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def _actions(state: HearingState) -> list[tuple[str, str]]:
    """The buttons the judge may press now: "open" first, "resume" after a break."""
    allowed = HEARING_MOVES.allowed(state)
    shown = []
    for action, (to, label) in MOVES.items():
        if to not in allowed:
            continue
        if action == "open" and state != HearingState.NOT_STARTED:
            continue
        if action == "resume" and state == HearingState.NOT_STARTED:
            continue
        shown.append((action, label))
    return shown


@hearing_web.get("/")
@staff_required("judge", "clerk")
def index() -> str:
    staff = current_staff()
    cases = db().exec(
        select(Case)
        .where(
            Case.court_id == staff.court_id,
            col(Case.case_number).is_not(None),
            col(Case.state).in_([CaseState.REGISTERED.value, CaseState.IN_TRIAL.value]),
        )
        .order_by(col(Case.registered_at).desc())
    )
    return render_template(
        "hearings.html",
        hearings=services.court_hearings(db(), staff.court_id or ""),
        cases=list(cases),
        state_names=STATE_NAMES,
    )


@hearing_web.post("/")
@staff_required("judge")
def schedule() -> BaseResponse:
    judge = current_staff()
    actor = current_principal().actor()
    hearing = services.schedule(
        db(),
        actor,
        judge,
        case_id=request.form.get("case_id", ""),
        scheduled_at=_local(request.form.get("scheduled_at", "")),
    )
    services.decide(db(), actor, hearing)
    served = notices.serve_hearing_notices(
        db(),
        components.document_tools(),
        actor,
        hearing,
        judge,
    )
    flash(f"已排期，并向 {served} 名当事人电子送达开庭通知书。", "info")
    return redirect(url_for("hearing_web.detail", hearing_id=hearing.id))


@hearing_web.get("/<hearing_id>")
@staff_required("judge", "clerk")
def detail(hearing_id: str) -> str:
    staff = current_staff()
    hearing = services.for_court_staff(db(), staff, hearing_id)
    if media.running_self_tests(db(), hearing.id):
        # A party's device may never ask for its result: what the node has measured is
        # recorded now, so the judge does not see a test running forever. The request's
        # session starts again as a writer, and the staff member is loaded into it.
        will_write()
        load_staff()
        staff = current_staff()
        hearing = services.for_court_staff(db(), staff, hearing_id)
        media.settle_self_tests(db(), components.media_node(), hearing.id)
    session = db()
    participants = services.participants_of(session, hearing.id)
    consents = {
        c.account_id: c
        for c in session.exec(
            select(HearingConsent).where(
                HearingConsent.hearing_id == hearing.id,
                col(HearingConsent.withdrawn_at).is_(None),
            )
        )
    }
    tests = {
        p.account_id: services.latest_self_test(session, hearing.id, p.account_id)
        for p in participants
        if p.account_id
    }
    objections = list(session.exec(select(Objection).where(Objection.hearing_id == hearing.id)))
    names = {p.account_id: p.name for p in participants}
    decision = services.latest_decision(session, hearing.id)
    return render_template(
        "hearing_detail.html",
        hearing=hearing,
        participants=participants,
        consents=consents,
        tests=tests,
        objections=objections,
        names=names,
        decision=decision.decision if decision else None,
        findings=services.latest_findings(session, hearing.id),
        questions=[(q.value, QUESTION_TEXT[q]) for q in JudgeQuestion],
        attendance=services.attendance_of(session, hearing.id),
        unclassified=services.unclassified_absences(session, hearing.id),
        unlinked=session.exec(
            select(CaseParty)
            .where(
                CaseParty.case_id == hearing.case_id,
                col(CaseParty.account_id).is_(None),
                col(CaseParty.role).in_([r.value for r in linking.NOTIFIABLE]),
            )
            .order_by(col(CaseParty.id))
        ).all(),
        one_second=dt.timedelta(seconds=1),
        party_role_names=PARTY_ROLE_NAMES,
        mask_phone=mask_phone,
        absence_names={r.value: n for r, n in ABSENCE_NAMES.items()},
        excused={r.value for r in EXCUSED},
        role_names={r.value: n for r, n in ROLE_NAMES.items()},
        state_names=STATE_NAMES,
        actions=_actions(HearingState(hearing.state)),
        presiding=hearing.judge_id == staff.id,
        transcript=current_transcript(session, hearing),
    )


@hearing_web.post("/<hearing_id>/case-parties/<party_id>/notify")
@staff_required("judge", "clerk")
def notify_party(hearing_id: str, party_id: str) -> BaseResponse:
    """Text an unlinked party of the hearing's case how to link their account (R3a)."""
    session = db()
    staff = current_staff()
    hearing = services.for_court_staff(session, staff, hearing_id)
    party, sent = linking.notify(
        session,
        current_principal().actor(),
        components.code_sender(),
        components.working_calendar(),
        staff,
        case_id=hearing.case_id,
        party_id=party_id,
        phone=request.form.get("phone", ""),
    )
    if sent:
        flash(f"已短信通知{party.name}；3 日内关联案件方可在线参加庭审（R3a）。", "info")
    else:
        flash(f"一分钟内已向该号码发送过通知，未重复发送（{party.name}）。", "info")
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id) + "#unlinked")


@hearing_web.post("/<hearing_id>/findings")
@staff_required("judge")
def findings(hearing_id: str) -> BaseResponse:
    """Each question answered yes/no with reasons; unanswered questions stay open."""
    form = request.form
    found: dict[JudgeQuestion, tuple[bool, str]] = {}
    for question in JudgeQuestion:
        answer = form.get(f"q-{question.value}", "")
        if answer in ("yes", "no"):
            found[question] = (answer == "yes", form.get(f"r-{question.value}", ""))
    weighed: dict[str, tuple[bool, str]] = {}
    for key, answer in form.items():
        if key.startswith("o-") and answer in ("good", "weak"):
            objection_id = key[2:]
            weighed[objection_id] = (answer == "good", form.get(f"or-{objection_id}", ""))
    decision = services.record_findings(
        db(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        findings=found,
        objections=weighed,
    )
    verdict = {True: "可以在线庭审", False: "不适用在线庭审", None: "尚有待认定事项"}
    flash(f"已记录认定。结论：{verdict[decision.eligible]}。", "info")
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id))


@hearing_web.post("/<hearing_id>/state/<action>")
@staff_required("judge")
def state(hearing_id: str, action: str) -> BaseResponse:
    if action not in MOVES:
        raise ValidationFailed({"action": action})
    to, label = MOVES[action]
    actor = current_principal().actor()
    hearing = services.move(
        db(),
        actor,
        current_staff(),
        hearing_id=hearing_id,
        to=to,
        reason=request.form.get("reason", label),
    )
    filed = media.after_move(
        db(),
        components.media_node(),
        components.blobs(),
        components.evidence_log(),
        components.recordings_dir(),
        actor,
        hearing,
    )
    flash(f"已{label}。" + (f"已归档 {filed} 段庭审录像并存证。" if filed else ""), "info")
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id))


@hearing_web.post("/<hearing_id>/offline")
@staff_required("judge")
def offline(hearing_id: str) -> BaseResponse:
    services.switch_offline(
        db(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        reasons=request.form.get("reasons", ""),
    )
    flash("已转为线下审理；此前在线进行的诉讼活动依然有效（R18）。", "info")
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id))


@hearing_web.post("/<hearing_id>/absence")
@staff_required("judge", "clerk")
def absence(hearing_id: str) -> BaseResponse:
    try:
        reason = AbsenceReason(request.form.get("reason", ""))
    except ValueError as exc:
        raise ValidationFailed({"field": "reason"}, zh="请选择原因。") from exc
    services.record_absence(
        db(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        participant_id=request.form.get("participant_id", ""),
        reason=reason,
        note=request.form.get("note", ""),
    )
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id))


@hearing_web.post("/<hearing_id>/participants")
@staff_required("judge")
def add_participant(hearing_id: str) -> BaseResponse:
    try:
        role = ParticipantRole(request.form.get("role", ""))
    except ValueError as exc:
        raise ValidationFailed({"field": "role"}) from exc
    services.add_participant(
        db(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        role=role,
        name=request.form.get("name", ""),
        account_id=None,
    )
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id))


@hearing_web.post("/<hearing_id>/transcript")
@staff_required("judge", "clerk")
def transcript(hearing_id: str) -> BaseResponse:

    document = issue_transcript(
        db(),
        components.document_tools(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        lines=request.form.get("transcript", "").splitlines(),
    )
    flash(
        f"庭审笔录已生成（核验码 {document.short_code}），请当事人在手机上确认签署（R22）。", "info"
    )
    return redirect(url_for("hearing_web.detail", hearing_id=hearing_id))


# --- the hearing room -----------------------------------------------------------------


@hearing_web.get("/<hearing_id>/room")
@staff_required("judge", "clerk")
def room(hearing_id: str) -> str:
    hearing = services.for_court_staff(db(), current_staff(), hearing_id)
    media.court_participant(db(), current_staff(), hearing)
    return render_template(
        "hearing_room.html",
        hearing=hearing,
        state_names=STATE_NAMES,
        presiding=hearing.judge_id == current_staff().id,
        slots=8,
    )


@hearing_web.post("/<hearing_id>/room/media")
@staff_required("judge", "clerk")
def room_media(hearing_id: str) -> dict[str, object]:
    """The judge's or clerk's browser offers; court staff go straight in."""
    payload = request.get_json(silent=True) or {}
    offer = payload.get("sdp")
    if not isinstance(offer, str) or not 10 <= len(offer) <= 100_000:
        raise ValidationFailed({"field": "sdp"})
    answer, participant = media.join_media(
        db(),
        components.media_node(),
        components.settings(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        offer_sdp=offer,
    )
    return {"sdp": answer, "participant_id": participant.id}


@hearing_web.get("/<hearing_id>/room/state")
@staff_required("judge", "clerk")
def room_state(hearing_id: str) -> dict[str, object]:
    """Who is connected and how well; who waits; what each of my slots shows."""
    session = db()
    staff = current_staff()
    hearing = services.for_court_staff(session, staff, hearing_id)
    node = components.media_node()
    stats = {p.peer_id: p for p in node.state(hearing.id).peers}
    me = media.court_participant(session, staff, hearing)
    people = []
    for p in services.participants_of(session, hearing.id):
        s = stats.get(p.id)
        people.append(
            {
                "id": p.id,
                "name": p.name,
                "role": ROLE_NAMES[ParticipantRole(p.role)],
                "online": p.online,
                "presence": p.presence,
                "muted": p.muted,
                "connection": s.connection if s else None,
                "video_fps": s.video_fps if s else None,
                "video_kbps": s.video_kbps if s else None,
                "audio_kbps": s.audio_kbps if s else None,
            }
        )
    return {
        "state": hearing.state,
        "state_name": STATE_NAMES[HearingState(hearing.state)],
        "participants": people,
        "slots": [s.__dict__ for s in media.slots_for(session, node, hearing, me)],
    }


@hearing_web.post("/<hearing_id>/participants/<participant_id>/<action>")
@staff_required("judge")
def presence(hearing_id: str, participant_id: str, action: str) -> BaseResponse | dict[str, object]:
    if action not in ("admit", "remove", "mute", "unmute"):
        raise ValidationFailed({"action": action})
    participant = media.presence_action(
        db(),
        components.media_node(),
        components.blobs(),
        components.evidence_log(),
        components.recordings_dir(),
        current_principal().actor(),
        current_staff(),
        hearing_id=hearing_id,
        participant_id=participant_id,
        action=action,
    )
    if request.accept_mimetypes.best == "application/json":
        return {"id": participant.id, "presence": participant.presence, "muted": participant.muted}
    return redirect(url_for("hearing_web.room", hearing_id=hearing_id))


def _room_channel(hearing_id: str) -> thread.Thread:
    staff = current_staff()
    hearing = services.for_court_staff(db(), staff, hearing_id)
    me = media.court_participant(db(), staff, hearing)
    return thread.Thread(
        None, None, f"{ROLE_NAMES[ParticipantRole(me.role)]} {me.name}", hearing_id=hearing.id
    )


@hearing_web.post("/<hearing_id>/room/messages")
@staff_required("judge", "clerk")
def room_message(hearing_id: str) -> BaseResponse | tuple[dict[str, object], int]:
    message = thread.post(
        db(), current_staff(), _room_channel(hearing_id), body=request.form.get("body", "")
    )
    if request.accept_mimetypes.best == "application/json":
        return {"id": message.id}, 201
    return redirect(url_for("hearing_web.room", hearing_id=hearing_id))


@hearing_web.get("/<hearing_id>/room/events")
@staff_required("judge", "clerk")
def room_events(hearing_id: str) -> Response:
    return stream_response(
        _room_channel(hearing_id), request.args.get("after", 0, type=int), current_staff().id
    )


@hearing_web.get("/<hearing_id>/room/attachments/<attachment_id>")
@staff_required("judge", "clerk")
def room_attachment(hearing_id: str, attachment_id: str) -> Response:
    item = thread.attachment_in(db(), _room_channel(hearing_id), attachment_id)
    return attachment_response(item)
