"""Staff pages: sign-in, the dashboard of each role, sign-out."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from court import components
from court.accounts.models import Account
from court.accounts.services import sign_in_staff, sign_out_staff
from court.db import db
from court.filing.models import Submission
from court.mediation.models import Mediation
from court.ratelimit import limit_address
from court.web.auth import (
    SESSION_KEY,
    current_staff,
    current_staff_session,
    load_staff,
    staff_required,
)

web = Blueprint("web", __name__)
web.before_request(load_staff)

ROLE_NAMES = {
    "litigant": "当事人",
    "agent": "代理人",
    "clerk": "立案庭书记员",
    "judge": "法官",
    "mediator": "调解员",
    "admin": "系统管理员",
}

SIGN_IN_ERRORS = {
    "bad_credentials": "用户名或密码错误。",
    "locked": "登录失败次数过多，账户已临时锁定，请稍后再试。",
    "disabled": "账户已停用，请联系系统管理员。",
}


@dataclass
class Queue:
    key: str
    title: str
    empty: str
    items: list[tuple[str, str]] = field(default_factory=list)
    #: Where the whole queue is worked on, when it has a page of its own.
    link: str | None = None


#: What each role works on. The queues fill as filing, mediation and hearings land.
ROLE_QUEUES: dict[str, list[Queue]] = {
    "clerk": [
        Queue("filings", "待审核立案", "暂无待审核的立案申请。"),
        Queue("corrections", "补正中", "暂无等待补正的申请。"),
    ],
    "judge": [
        Queue("cases", "承办案件", "暂无承办案件。"),
        Queue("hearings", "视频庭审", "暂无排期的视频庭审。"),
    ],
    "mediator": [
        Queue("requests", "调解请求", "暂无新的调解请求。"),
        Queue("appointments", "预约咨询", "暂无预约。"),
    ],
    "admin": [
        Queue("roster", "调解员名册", "名册管理即将上线。"),
        Queue("complaints", "投诉", "暂无投诉。"),
    ],
}


def _safe_next(target: str | None) -> str:
    """Only follow a local path after sign-in (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("web.dashboard")


@web.get("/")
def index() -> BaseResponse:
    return redirect(url_for("web.dashboard"))


@web.route("/staff/sign-in", methods=["GET", "POST"])
def sign_in() -> BaseResponse | tuple[str, int] | str:
    if request.method == "GET":
        if g.get("staff") is not None:
            return redirect(url_for("web.dashboard"))
        return render_template("sign_in.html", next=request.args.get("next"))
    limit_address("sign_in", components.settings().sign_in_per_minute)
    username = request.form.get("username", "").strip()
    result = sign_in_staff(
        db(),
        components.settings(),
        username=username,
        password=request.form.get("password", ""),
        address=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    if not result.ok:
        message = SIGN_IN_ERRORS[result.reason or "bad_credentials"]
        html = render_template(
            "sign_in.html", error=message, username=username, next=request.form.get("next")
        )
        return html, 401
    session.clear()
    session[SESSION_KEY] = result.cookie_value
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")))


@web.post("/staff/sign-out")
@staff_required()
def sign_out() -> BaseResponse:
    sign_out_staff(db(), g.principal.actor(), current_staff_session())
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("web.sign_in"))


def _mediation_items(rows: list[Mediation]) -> list[tuple[str, str]]:
    return [
        (
            f"{m.summary[:24]} · {m.created_at:%Y-%m-%d}",
            url_for("mediation_web.detail", mediation_id=m.id),
        )
        for m in rows
    ]


def _queues(staff: Account) -> list[Queue]:
    """The role's queues, filled from the work that exists today."""
    from court.hearing import services as hearing_services
    from court.mediation import services as mediation

    court_id = staff.court_id or ""
    desk = url_for("mediation_web.queue")
    if staff.role == "mediator":
        mine = mediation.queue_of_mediator(db(), staff)
        requests, appointments = ROLE_QUEUES["mediator"]
        return [
            Queue(
                requests.key,
                requests.title,
                requests.empty,
                _mediation_items(
                    [m for m in mine if m.state in ("awaiting_acceptance", "in_progress")]
                ),
                desk,
            ),
            Queue(
                appointments.key,
                appointments.title,
                appointments.empty,
                link=url_for("mediation_web.consultations"),
            ),
        ]
    court_mediations = mediation.court_queue(db(), court_id)
    if staff.role == "judge":
        cases, hearings = ROLE_QUEUES["judge"]
        pending = [m.id for m in court_mediations if m.state == "agreed"]
        confirmations = mediation.confirmations_pending(db(), pending)
        return [
            Queue(
                "confirmations",
                "司法确认申请",
                "暂无待审查的司法确认申请。",
                _mediation_items([m for m in court_mediations if m.id in confirmations]),
                desk,
            ),
            Queue(cases.key, cases.title, cases.empty),
            Queue(
                hearings.key,
                hearings.title,
                hearings.empty,
                [
                    (h.title, url_for("hearing_web.detail", hearing_id=h.id))
                    for h in hearing_services.court_hearings(db(), court_id)
                    if h.judge_id == staff.id and h.state not in ("closed", "cancelled")
                ],
                url_for("hearing_web.index"),
            ),
        ]
    to_assign = Queue(
        "mediation-assignment",
        "待指定调解员",
        "暂无待指定调解员的调解。",
        _mediation_items([m for m in court_mediations if m.state == "awaiting_assignment"]),
        desk,
    )
    if staff.role == "admin":
        roster, complaints = ROLE_QUEUES["admin"]
        link = url_for("roster_web.roster")
        return [
            Queue(roster.key, roster.title, "在名册页面管理调解员。", link=link),
            Queue(complaints.key, complaints.title, complaints.empty, link=link),
            to_assign,
        ]
    from court.filing.notices import KIND_NAMES
    from court.filing.review import clerk_queue, corrections_pending

    def items(rows: list[Submission]) -> list[tuple[str, str]]:
        return [
            (
                f"{KIND_NAMES[s.kind]} · {s.signed_at:%Y-%m-%d %H:%M}" if s.signed_at else s.id,
                url_for("filing_web.detail", submission_id=s.id),
            )
            for s in rows
        ]

    link = url_for("filing_web.queue")
    filings, corrections = ROLE_QUEUES["clerk"]
    return [
        Queue(filings.key, filings.title, filings.empty, items(clerk_queue(db(), court_id)), link),
        Queue(
            corrections.key,
            corrections.title,
            corrections.empty,
            items(corrections_pending(db(), court_id)),
            link,
        ),
        to_assign,
    ]


@web.get("/staff/")
@staff_required("clerk", "judge", "mediator", "admin")
def dashboard() -> str | Response:
    staff = current_staff()
    return render_template("dashboard.html", queues=_queues(staff))
