"""Mediation time limits as pure rules: dates in, dates and reasons out (R11, R13).

Working days are the court's (``court.timekeeping``). No Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from court.timekeeping import WorkingCalendar

#: R11 (OMR 10, 12): working days for each step of choosing a mediator.
CHOOSE_WORKING_DAYS = 2
ASSIGN_WORKING_DAYS = 3
ACCEPT_WORKING_DAYS = 3
#: R13 (OMR 24): calendar days a mediation may run.
PRE_FILING_DAYS = 30
ORDINARY_DAYS = 15
SIMPLE_DAYS = 7


@dataclass(frozen=True)
class Deadline:
    """A time limit with the rule it comes from, so a page can say why."""

    due: dt.date
    rule: str
    citation: str
    explanation: str


def choice_deadlines(requested_on: dt.date, calendar: WorkingCalendar) -> tuple[Deadline, Deadline]:
    """R11: the parties choose within 2 working days; failing that, the court assigns
    within the 3 working days after."""
    choose_by = calendar.add_working_days(requested_on, CHOOSE_WORKING_DAYS)
    assign_by = calendar.add_working_days(choose_by, ASSIGN_WORKING_DAYS)
    return (
        Deadline(choose_by, "R11", "OMR 10", "当事人共同选择调解员的期限（2 个工作日）"),
        Deadline(assign_by, "R11", "OMR 10", "未选择的，法院指定调解员的期限（3 个工作日）"),
    )


def acceptance_deadline(assigned_on: dt.date, calendar: WorkingCalendar) -> Deadline:
    """R11: the mediator accepts or declines, with reasons, within 3 working days."""
    return Deadline(
        calendar.add_working_days(assigned_on, ACCEPT_WORKING_DAYS),
        "R11",
        "OMR 12",
        "调解员决定是否接受委派的期限（3 个工作日）",
    )


def mediation_deadline(
    started_on: dt.date, *, filed: bool, simple_procedure: bool, extended_days: int = 0
) -> Deadline:
    """R13: 30 days before filing; 15 (ordinary) or 7 (simple procedure) after filing;
    longer only when the parties agreed to extend."""
    if extended_days < 0:
        raise ValueError("an extension cannot be negative")
    if not filed:
        days, what = PRE_FILING_DAYS, "诉前调解期限（30 日）"
    elif simple_procedure:
        days, what = SIMPLE_DAYS, "诉中调解期限，简易程序（7 日）"
    else:
        days, what = ORDINARY_DAYS, "诉中调解期限，普通程序（15 日）"
    if extended_days:
        what += f"，经当事人同意延长 {extended_days} 日"
    return Deadline(started_on + dt.timedelta(days=days + extended_days), "R13", "OMR 24", what)
