"""Local wall-clock time to UTC, by the spec's DST rule, in integer microseconds."""

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from shared.instants import EPOCH, MICROSECOND, from_us

_NAIVE_EPOCH = EPOCH.replace(tzinfo=None)


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (raises ZoneInfoNotFoundError or ValueError when unknown)."""
    return ZoneInfo(name)


def local_to_utc_us(tz: ZoneInfo, d: date, t: time) -> int:
    """Microseconds since the Unix epoch of local `d` + `t` in `tz`.

    A time in a spring-forward gap reads with the offset before the jump and a repeated
    fall-back time as its later occurrence. Both are the reading with the smaller UTC
    offset of the two folds (PostgreSQL's `timestamp AT TIME ZONE`).
    """
    naive = datetime.combine(d, t)
    offset = min(_offset(tz, naive), _offset(tz, naive.replace(fold=1)))
    return (naive - offset - _NAIVE_EPOCH) // MICROSECOND


def _offset(tz: ZoneInfo, naive: datetime) -> timedelta:
    offset = tz.utcoffset(naive)
    assert offset is not None  # a ZoneInfo always has an offset
    return offset


def local_to_utc(zone_name: str, d: date, t: time) -> datetime:
    """Aware UTC datetime of local `d` + `t` in the zone named `zone_name`."""
    return from_us(local_to_utc_us(zone(zone_name), d, t))
