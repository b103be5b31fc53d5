"""What is expected of the litigant next, in plain words (pure: data in, text out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NextStep:
    code: str
    zh: str
    en: str
    due: dt.date | None = None


#: The acceptance period for a compliant filing (CPL 126: seven days).
ACCEPTANCE_DAYS = 7


def submission_next_step(
    state: str,
    *,
    review_period_start: dt.date | None,
    correction_deadline: dt.date | None,
    case_number: str | None,
) -> NextStep:
    if state == "draft":
        return NextStep(
            "upload_and_sign",
            "请逐页拍照上传材料，核对后用本机密钥签名提交。",
            "Photograph and upload the pages, check them, then sign with this phone.",
        )
    if state in ("submitted", "corrected"):
        due = (
            review_period_start + dt.timedelta(days=ACCEPTANCE_DAYS)
            if review_period_start
            else None
        )
        return NextStep(
            "await_review",
            "法院正在审查，审查结果将通过电子送达通知您。",
            "The court is reviewing; the result will be served electronically.",
            due,
        )
    if state == "correction_requested":
        return NextStep(
            "submit_correction",
            "请在补正期限前一次性提交补正通知书列明的全部材料。",
            "Submit everything the correction notice lists before the deadline.",
            correction_deadline,
        )
    if state == "accepted":
        number = f"，案号 {case_number}" if case_number else ""
        return NextStep(
            "registered",
            f"已立案{number}。请留意法院后续通知。",
            f"Registered{(' as ' + case_number) if case_number else ''}; watch for notices.",
        )
    return NextStep(
        "rejected",
        "不予受理。如不服，可在裁定书送达之日起十日内上诉。",
        "Not accepted; you may appeal within ten days of service of the ruling.",
    )


def case_next_step(state: str) -> NextStep:
    steps = {
        "pre_filing": NextStep(
            "pre_filing", "诉前阶段，等待调解或立案。", "Before filing: mediation or registration."
        ),
        "registered": NextStep(
            "registered",
            "已立案，等待法院安排调解或审理。",
            "Registered; the court will schedule mediation or a hearing.",
        ),
        "in_mediation": NextStep(
            "in_mediation", "调解中，请按约参加调解。", "In mediation: attend as agreed."
        ),
        "in_trial": NextStep(
            "in_trial", "审理中，请按传票或通知参加庭审。", "In trial: attend as summoned."
        ),
        "withdrawn": NextStep(
            "withdrawn", "案件已撤诉，无需再做任何事。", "Withdrawn; nothing more to do."
        ),
        "closed": NextStep("closed", "案件已结案。", "The case is closed."),
    }
    return steps[state]
