"""A report request: what a trigger may ask for, parsed and checked (BadInput, with a clear
message, for anything else)."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.errors import BadInput
from shared.instants import parse_as_of
from shared.storeids import MAX_STORE_ID_BYTES, WHITESPACE, fits
from shared.uptime.periods import INTERVALS, MAX_DATES, Range

FIELDS = ("as_of", "from", "to", "interval", "store_ids")  # all a trigger may name
MAX_STORE_IDS = 10_000
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 2), date(8999, 12, 31)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ReportRequest:
    """as_of (None: the latest poll, pinned when the report is recorded); for a period
    report, its range of local dates and, optionally, the only stores it is about."""

    as_of: datetime | None = None
    periods: Range | None = None
    store_ids: tuple[str, ...] | None = None

    def canonical(self) -> str:
        """The request as canonical JSON: two requests asking the same give the same text."""
        periods = self.periods
        return json.dumps(
            {
                "as_of": None if self.as_of is None else self.as_of.isoformat(),
                "from": None if periods is None else periods.first.isoformat(),
                "to": None if periods is None else periods.last.isoformat(),
                "interval": None if periods is None else periods.interval,
                "store_ids": None if self.store_ids is None else list(self.store_ids),
            },
            sort_keys=True,
        )


def parse_request(params: Mapping[str, Any]) -> ReportRequest:
    """The request of a trigger's parameters (a JSON body's members, or query strings)."""
    _no_unknown_fields(params)
    as_of = params.get("as_of")
    if as_of is not None and not isinstance(as_of, str):
        raise BadInput("as_of must be an ISO 8601 string")
    first, last = params.get("from"), params.get("to")
    interval, store_ids = params.get("interval"), params.get("store_ids")
    if first is None and last is None:
        if interval is not None or store_ids is not None:
            raise BadInput("interval and store_ids come with from and to (a period report)")
        return ReportRequest(None if as_of is None else parse_as_of(as_of))
    if first is None or last is None:
        raise BadInput("from and to come together: both dates, or neither")
    periods = Range(_date("from", first), _date("to", last), _interval(interval))
    if periods.last < periods.first:
        raise BadInput(f"to ({periods.last}) is before from ({periods.first})")
    dates = (periods.last - periods.first).days + 1
    if dates > MAX_DATES:
        raise BadInput(f"from … to holds {dates} dates; at most {MAX_DATES}")
    return ReportRequest(
        None if as_of is None else parse_as_of(as_of),
        periods,
        None if store_ids is None else _store_ids(store_ids),
    )


def _no_unknown_fields(params: Mapping[str, Any]) -> None:
    """A field the API does not know is refused, by name: a misspelt `intervall` or an
    upstream `from_date` must not quietly give another report than the one asked for."""
    unknown = [name for name in params if name not in FIELDS]
    if unknown:
        names = ", ".join(repr(name[:80]) for name in sorted(unknown)[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise BadInput(
            f"unknown field{'s' if len(unknown) > 1 else ''} {names}{more}; "
            f"a trigger takes {', '.join(FIELDS)}"
        )


def _date(name: str, value: object) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise BadInput(f"{name} must be a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name} {value!r} is not a date") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise BadInput(f"{name} must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return day


def _interval(value: object) -> str:
    if value is None:
        return "day"
    if value not in INTERVALS:
        raise BadInput(f"interval must be one of {', '.join(INTERVALS)}")
    return str(value)


def _store_ids(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_STORE_IDS:
        raise BadInput(f"store_ids must be a list of 1 to {MAX_STORE_IDS:,} store ids")
    ids = []
    for item in value:
        if not isinstance(item, str):
            raise BadInput("store_ids must hold strings")
        store_id = item.strip(WHITESPACE)
        if not fits(store_id):
            raise BadInput(f"a store id is 1 to {MAX_STORE_ID_BYTES} bytes")
        if "\x00" in store_id:
            raise BadInput("a store id holds no NUL character")
        ids.append(store_id)
    return tuple(sorted(set(ids)))
