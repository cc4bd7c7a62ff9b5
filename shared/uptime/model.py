"""Plain value types the report computation takes and returns."""

from dataclasses import dataclass
from datetime import time
from typing import NamedTuple

DEFAULT_TIMEZONE = "America/Chicago"

HoursRow = tuple[int, time, time]
"""One business-hours row: (day 0=Monday … 6=Sunday, local start, local end)."""


@dataclass(frozen=True)
class StoreMeta:
    """What the report needs to know about a store besides its polls."""

    timezone: str | None = None  # IANA name; None means DEFAULT_TIMEZONE
    hours: tuple[HoursRow, ...] = ()  # empty means open 24x7


class ReportRow(NamedTuple):
    """One CSV row: last hour in minutes, day and week in hours, formatted with 2 decimals."""

    store_id: str
    uptime_last_hour: str
    uptime_last_day: str
    uptime_last_week: str
    downtime_last_hour: str
    downtime_last_day: str
    downtime_last_week: str


class PeriodRow(NamedTuple):
    """One CSV row of a period report: hours with 2 decimals; the percent empty when the
    period holds no business time; the store's polls in the period (up to as_of)."""

    store_id: str
    period_start: str
    uptime_hours: str
    downtime_hours: str
    uptime_percent: str
    polls: str
