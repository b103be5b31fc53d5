"""The court's clock and calendar: China Standard Time, and its working days.

Every legal period counts in the court's time and days, wherever the server runs: a filing
signed at 03:25 in Ningbo is filed that day, though UTC still says the day before. Working
days skip weekends and the configured public holidays, and count the configured make-up
working days (调休) on weekends. No Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Time limits count in China Standard Time, where the court sits.
CHINA = dt.timezone(dt.timedelta(hours=8))


def court_time(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the court's clock shows it (a naive value is taken as UTC, as the
    database stores it); the pages' ``court_time`` filter. Empty for no instant."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).strftime(fmt)


def local_date(moment: dt.datetime) -> dt.date:
    """The court's calendar date at an instant."""
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    #: Weekend days that are working days because a holiday was moved (调休).
    makeup_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The day on which ``count`` working days after ``start`` have passed.

        The period starts the day after ``start`` (the day of the event does not count).
        """
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        remaining = count
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day
