"""Mediation time limits (R11, R13) as pure rules."""

from __future__ import annotations

import datetime as dt

import pytest

from court.mediation.deadlines import (
    acceptance_deadline,
    choice_deadlines,
    mediation_deadline,
)
from court.timekeeping import WorkingCalendar

# 2026-12-04 is a Friday.
FRIDAY = dt.date(2026, 12, 4)


def test_working_days_skip_weekends_and_holidays_and_count_makeup_days() -> None:
    plain = WorkingCalendar()
    assert plain.add_working_days(FRIDAY, 1) == dt.date(2026, 12, 7)  # Monday
    assert plain.add_working_days(FRIDAY, 0) == FRIDAY
    holidays = WorkingCalendar(holidays=frozenset({dt.date(2026, 12, 7)}))
    assert holidays.add_working_days(FRIDAY, 1) == dt.date(2026, 12, 8)
    makeup = WorkingCalendar(makeup_workdays=frozenset({dt.date(2026, 12, 5)}))
    assert makeup.add_working_days(FRIDAY, 1) == dt.date(2026, 12, 5)  # a working Saturday
    with pytest.raises(ValueError, match="negative"):
        plain.add_working_days(FRIDAY, -1)


def test_r11_choose_in_two_working_days_then_assign_in_three() -> None:
    choose, assign = choice_deadlines(FRIDAY, WorkingCalendar())
    assert choose.due == dt.date(2026, 12, 8)  # Mon, Tue
    assert assign.due == dt.date(2026, 12, 11)  # Wed, Thu, Fri
    assert (choose.rule, choose.citation) == ("R11", "OMR 10")
    accept = acceptance_deadline(dt.date(2026, 12, 11), WorkingCalendar())
    assert accept.due == dt.date(2026, 12, 16)
    assert accept.citation == "OMR 12"


@pytest.mark.parametrize(
    ("filed", "simple", "days"), [(False, False, 30), (True, False, 15), (True, True, 7)]
)
def test_r13_limits_before_and_after_filing(filed: bool, simple: bool, days: int) -> None:
    deadline = mediation_deadline(FRIDAY, filed=filed, simple_procedure=simple)
    assert deadline.due == FRIDAY + dt.timedelta(days=days)
    assert deadline.rule == "R13"


def test_r13_an_agreed_extension_moves_the_limit() -> None:
    extended = mediation_deadline(FRIDAY, filed=True, simple_procedure=True, extended_days=10)
    assert extended.due == FRIDAY + dt.timedelta(days=17)
    assert "延长 10 日" in extended.explanation
    with pytest.raises(ValueError, match="negative"):
        mediation_deadline(FRIDAY, filed=True, simple_procedure=True, extended_days=-1)
