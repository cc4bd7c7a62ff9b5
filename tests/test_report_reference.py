"""Randomized comparisons of ``shared.uptime.compute_report`` and
``shared.uptime.periods.compute_period_report`` with the independent reference.

Plus a few hand-checked sanity tests of the reference itself. Every random case is generated
from ``random.Random(seed)``; on a mismatch the message carries the seed and the full input.
"""

from __future__ import annotations

import collections
import functools
import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from pprint import pformat
from zoneinfo import ZoneInfo

import pendulum
import pytest

from shared.uptime import compute_report
from shared.uptime.model import StoreMeta
from shared.uptime.periods import Range, compute_period_report
from tests.reference_report import (
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    business_intervals,
    format_2dp,
    inside,
    local_periods,
    local_to_ticks,
    reference_period_report,
    reference_report,
    to_ticks,
)

# (zone, local date of a DST transition) — as_of is put around these, so that windows, the span
# and the business intervals straddle the change.
SCENARIOS: list[tuple[str | None, date]] = [
    ("America/New_York", date(2023, 3, 12)),
    ("America/New_York", date(2023, 11, 5)),
    ("Europe/Berlin", date(2023, 3, 26)),
    ("Europe/Berlin", date(2023, 10, 29)),
    ("Australia/Sydney", date(2023, 4, 2)),
    ("Australia/Sydney", date(2023, 10, 1)),
    ("America/Chicago", date(2023, 3, 12)),
    ("America/Chicago", date(2023, 11, 5)),
    ("Asia/Kolkata", date(2023, 1, 25)),
    (None, date(2023, 3, 12)),  # no zone -> America/Chicago
    (None, date(2023, 11, 5)),
]
ALL_ZONES: list[str | None] = [*sorted({z for z, _ in SCENARIOS if z}), None]

# Times that are interesting around DST changes and day boundaries.
SPECIAL_TIMES = [
    time(0, 0),
    time(0, 0, 0, 1),
    time(23, 59, 59),
    time(23, 59, 59, 999_999),
    time(1, 0),
    time(1, 30),  # repeated in the US in November
    time(2, 0),
    time(2, 30),  # gap in spring (US, EU, Sydney), repeated in autumn (EU, Sydney)
    time(2, 59, 59, 999_999),
    time(3, 0),
    time(12, 0),
]


def random_time(rng: random.Random) -> time:
    kind = rng.random()
    if kind < 0.4:
        return rng.choice(SPECIAL_TIMES)
    if kind < 0.8:
        return time(rng.randrange(24), rng.choice([0, 15, 30, 45]))
    if kind < 0.93:
        return time(rng.randrange(24), rng.randrange(60), rng.randrange(60))
    return time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(1_000_000))


def random_hours(rng: random.Random) -> tuple[tuple[int, time, time], ...]:
    kind = rng.random()
    if kind < 0.15:
        return ()  # open 24x7
    if kind < 0.22:
        # open all day except the last second, every day (or most days)
        days = [d for d in range(7) if rng.random() < 0.85] or [0]
        return tuple((d, time(0, 0), time(23, 59, 59)) for d in days)
    rows: list[tuple[int, time, time]] = []
    for _ in range(rng.randint(1, 10)):
        # all the 2023 DST changes used here fall on a Sunday: favour Sunday (and Saturday rows
        # that run overnight into it)
        day = rng.choices([6, 5, rng.randrange(7)], weights=[4, 1.5, 4.5])[0]
        start = random_time(rng)
        shape = rng.random()
        if shape < 0.1:
            end = start  # lasts until the same wall-clock time the next day
        elif shape < 0.3:
            end = random_time(rng)  # anything, often overnight
        else:
            # a normal shift of a few hours (may run past midnight)
            moment = datetime.combine(date(2000, 1, 1), start)
            moment += timedelta(minutes=rng.randint(1, 14 * 60), seconds=rng.choice([0, 0, 0, 30]))
            end = moment.time()
        rows.append((day, start, end))
        if rng.random() < 0.25:
            # a second shift on the same day: split or overlapping
            later = datetime.combine(date(2000, 1, 1), end) + timedelta(
                minutes=rng.randint(-120, 240)
            )
            rows.append((day, later.time(), random_time(rng)))
    rng.shuffle(rows)
    return tuple(rows)


def random_store_id(rng: random.Random, index: int) -> str:
    kind = rng.random()
    if kind < 0.4:
        return str(rng.randrange(10 ** rng.randint(1, 19)))
    if kind < 0.7:
        return f"{rng.getrandbits(128):032x}-{index}"
    return rng.choice(["a", "B", "Z", "b", "10", "9", "é", "_", "store"]) + str(index)


def boundary_instants(
    rng: random.Random, as_of: datetime, meta: StoreMeta, count: int
) -> list[datetime]:
    """Instants exactly at business-interval starts / ends (and one microsecond off)."""
    zone = meta.timezone or "America/Chicago"
    out = []
    for _ in range(count):
        if not meta.hours:
            break
        weekday, start, end = rng.choice(meta.hours)
        local_now = pendulum.instance(as_of).in_tz(zone).date()
        day = local_now - timedelta(days=rng.randint(-1, 9))
        day -= timedelta(days=(day.weekday() - weekday) % 7)
        if rng.random() < 0.5:
            ticks = local_to_ticks(day, start, zone)
        else:
            end_day = day if end > start else day + timedelta(days=1)
            ticks = local_to_ticks(end_day, end, zone)
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ticks // 2)
        moment += timedelta(microseconds=rng.choice([0, 0, 0, -1, 1]))
        out.append(moment)
    return out


def random_polls(
    rng: random.Random, store_id: str, as_of: datetime, meta: StoreMeta
) -> list[tuple[str, datetime, bool]]:
    span_start = as_of - timedelta(days=8)
    instants: list[datetime] = []
    style = rng.random()
    if style < 0.15:
        count = rng.randint(1, 3)  # very sparse: often no in-hours poll at all
    elif style < 0.5:
        count = rng.randint(4, 25)
    else:
        count = rng.randint(25, 80)
    if 0.5 <= style < 0.6:
        # crowded into the first day of the span (where the date before it matters)
        for _ in range(count):
            offset = rng.randrange(-3 * 3_600_000_000, 30 * 3_600_000_000)
            instants.append(span_start + timedelta(microseconds=offset))
    elif style >= 0.75:
        # roughly hourly with jitter, over a random stretch of the span
        moment = span_start - timedelta(hours=rng.randint(0, 30))
        moment += timedelta(microseconds=rng.randrange(3_600_000_000))
        for _ in range(count):
            instants.append(moment)
            moment += timedelta(minutes=rng.randint(20, 200), microseconds=rng.randrange(10**6))
    else:
        for _ in range(count):
            offset = rng.randrange(-2 * 86_400_000_000, 9 * 86_400_000_000 + 1)
            instants.append(span_start + timedelta(microseconds=offset))
    if rng.random() < 0.3:
        instants.append(span_start)
    if rng.random() < 0.3:
        instants.append(as_of)
    if rng.random() < 0.2:
        instants.append(span_start - timedelta(microseconds=1))
    if rng.random() < 0.2:
        instants.append(as_of + timedelta(microseconds=1))
    if rng.random() < 0.5:
        instants += boundary_instants(rng, as_of, meta, rng.randint(1, 6))
    return as_polls(rng, store_id, instants, ["Europe/Berlin", "America/New_York"])


def as_polls(
    rng: random.Random, store_id: str, moments: list[datetime], zones: list[str]
) -> list[Poll]:
    """Polls at `moments`, some repeated, some written in another zone, shuffled."""
    if moments and rng.random() < 0.4:
        # the same instant again, perhaps with another status (the later item wins)
        moments += rng.choices(moments, k=rng.randint(1, 4))
    if rng.random() < 0.1:
        # aware timestamps need not be in UTC: the same instant in another zone is the same poll
        offsets = [timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
        written = [*offsets, *map(ZoneInfo, zones)]
        moments = [m.astimezone(rng.choice(written)) if rng.random() < 0.5 else m for m in moments]
    bias = rng.random()
    polls = [(store_id, moment, rng.random() < bias) for moment in moments]
    rng.shuffle(polls)
    return polls


def random_as_of(rng: random.Random) -> tuple[datetime, str | None]:
    zone, transition = rng.choice(SCENARIOS)
    base = pendulum.datetime(
        transition.year, transition.month, transition.day, tz=zone or "America/Chicago"
    )
    offset = timedelta(microseconds=rng.randrange(-3 * 86_400_000_000, 10 * 86_400_000_000))
    if rng.random() < 0.2:
        offset = timedelta(hours=rng.randint(-72, 240))  # whole hours
    moment = base.in_tz("UTC") + offset
    as_of = datetime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        tzinfo=UTC,
    )
    return as_of, zone


Poll = tuple[str, datetime, bool]


def random_stores(
    rng: random.Random,
    scenario_zone: str | None,
    zones: Sequence[str | None],
    make_polls: Callable[[str, StoreMeta], list[Poll]],
) -> tuple[list[Poll], dict[str, StoreMeta]]:
    """One to four stores, most in the scenario's zone, a few unknown (no zone, no hours) or
    without polls; their polls in store blocks, sometimes interleaved."""
    stores: dict[str, StoreMeta] = {}
    polls: list[Poll] = []
    for index in range(rng.randint(1, 4)):
        store_id = random_store_id(rng, index)
        zone = scenario_zone if rng.random() < 0.6 else rng.choice(zones)
        meta = StoreMeta(timezone=zone, hours=random_hours(rng))
        if rng.random() < 0.9:
            stores[store_id] = meta
        else:
            meta = StoreMeta()  # missing from `stores`: no zone, no hours
        if rng.random() < 0.95:
            polls += make_polls(store_id, meta)
    if rng.random() < 0.3:
        rng.shuffle(polls)
    return polls, stores


def random_case(seed: int) -> tuple[datetime, list[Poll], dict[str, StoreMeta]]:
    rng = random.Random(seed)
    as_of, scenario_zone = random_as_of(rng)
    polls, stores = random_stores(
        rng,
        scenario_zone,
        ALL_ZONES,
        lambda store_id, meta: random_polls(rng, store_id, as_of, meta),
    )
    return as_of, polls, stores


@pytest.mark.parametrize("seed", range(1000))
def test_compute_report_matches_reference(seed: int) -> None:
    as_of, polls, stores = random_case(seed)
    expected = reference_report(as_of, list(polls), dict(stores))
    actual = [tuple(row) for row in compute_report(as_of, list(polls), dict(stores))]
    if actual != expected:
        ref_rows = {row[0]: row for row in expected}
        impl_rows = {row[0]: row for row in actual}
        involved = {
            store_id
            for store_id in ref_rows.keys() | impl_rows.keys()
            if ref_rows.get(store_id) != impl_rows.get(store_id)
        }
        diff = [(ref_rows.get(s), impl_rows.get(s)) for s in sorted(involved)]
        pytest.fail(
            f"seed={seed} as_of={as_of.isoformat()}\n"
            f"differing rows (reference, compute_report):\n{pformat(diff)}\n"
            f"order: reference={list(ref_rows)} compute_report={list(impl_rows)}\n"
            f"stores={pformat({k: v for k, v in stores.items() if k in involved})}\n"
            f"polls={pformat([p for p in polls if p[0] in involved])}",
            pytrace=False,
        )


# ---------------------------------------------------------------------------------------------
# Hand-checked sanity tests of the reference itself
# ---------------------------------------------------------------------------------------------
def chicago(*args: int) -> datetime:
    """A Chicago wall-clock time as an aware UTC datetime."""
    moment = pendulum.datetime(*args, tz="America/Chicago").in_tz("UTC")
    return datetime(*moment.timetuple()[:6], moment.microsecond, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        ("Europe/Berlin", (2023, 3, 26, 2, 30), datetime(2023, 3, 26, 1, 30, tzinfo=UTC)),
        ("America/Chicago", (2023, 3, 12, 2, 30), datetime(2023, 3, 12, 8, 30, tzinfo=UTC)),
        ("Australia/Sydney", (2023, 4, 2, 2, 30), datetime(2023, 4, 1, 16, 30, tzinfo=UTC)),
        ("America/New_York", (2023, 11, 5, 1, 30), datetime(2023, 11, 5, 6, 30, tzinfo=UTC)),
    ],
)
def test_reference_local_to_utc_vectors(zone: str, local: tuple[int, ...], utc: datetime) -> None:
    y, m, d, hh, mm = local
    assert local_to_ticks(date(y, m, d), time(hh, mm), zone) == to_ticks(utc)


def test_reference_rounding() -> None:
    assert format_2dp(Fraction(0)) == "0.00"
    assert format_2dp(Fraction(3, 2)) == "1.50"
    assert format_2dp(Fraction(1, 200)) == "0.01"  # half rounds up (away from zero)
    assert format_2dp(Fraction(1, 200) - Fraction(1, 10**12)) == "0.00"
    assert format_2dp(Fraction(2049, 200)) == "10.25"  # 10.245 -> 10.25
    assert format_2dp(Fraction(168)) == "168.00"


def test_reference_worked_example() -> None:
    # 2023-01-23 is a Monday; Chicago is UTC-6 in January.
    meta = StoreMeta(hours=((0, time(9), time(12)),))
    polls = [
        ("s", chicago(2023, 1, 23, 10, 14), True),
        ("s", chicago(2023, 1, 23, 11, 15), False),
    ]
    as_of = chicago(2023, 1, 23, 12, 0)
    # uptime 1 h 44 min 30 s = 1.7417 h, downtime 1 h 15 min 30 s = 1.2583 h; the last hour
    # (11:00-12:00) is after the 10:44:30 switch, so all down.
    assert reference_report(as_of, polls, {"s": meta}) == [
        ("s", "0.00", "1.74", "1.74", "60.00", "1.26", "1.26")
    ]
    # Seen at 10:50 local with the second observation at 10:49 instead.
    as_of = chicago(2023, 1, 23, 10, 50)
    polls_early = [*polls[:1], ("s", chicago(2023, 1, 23, 10, 49), False)]
    # switch at 10:31:30 -> up 09:50-10:31:30 = 41.5 min, down 18.5 min (10:31:30-10:50)
    # Day: up 09:00-10:31:30 = 1.525 h (exact half -> 1.53), down 18.5 min = 0.3083 h.
    # Week (from Monday 2023-01-16 10:50): also 10:50-12:00 of the previous Monday, nearest
    # observation 10:14 today (active) -> up 1.525 h + 70 min = 2.6917 h.
    assert reference_report(as_of, polls_early, {"s": meta})[0][1:] == (
        "41.50",
        "1.53",
        "2.69",
        "18.50",
        "0.31",
        "0.31",
    )


def test_reference_open_24x7_single_poll() -> None:
    as_of = datetime(2023, 1, 25, 18, 13, 22, tzinfo=UTC)
    polls = [("x", as_of - timedelta(days=3), True)]
    assert reference_report(as_of, polls, {}) == [
        ("x", "60.00", "24.00", "168.00", "0.00", "0.00", "0.00")
    ]


def test_reference_closed_last_second() -> None:
    # Open 00:00:00-23:59:59 every day: an hour across local midnight has 59 min 59 s.
    meta = StoreMeta(hours=tuple((d, time(0), time(23, 59, 59)) for d in range(7)))
    as_of = chicago(2023, 1, 25, 0, 30)
    polls = [("x", as_of - timedelta(hours=5), False)]
    row = reference_report(as_of, polls, {"x": meta})[0]
    assert row[4] == "59.98"  # downtime last hour, minutes
    assert row[5] == "24.00"  # 24 h - 1 s = 23.9997 h
    assert row[6] == "168.00"  # 168 h - 7 s = 167.998 h
    assert row[1:4] == ("0.00", "0.00", "0.00")


def test_reference_no_in_hours_polls_uses_all_and_later_duplicate_wins() -> None:
    # Open Monday 09:00-10:00 only; the only polls are outside hours -> they are the observations.
    meta = StoreMeta(hours=((0, time(9), time(10)),))
    as_of = chicago(2023, 1, 23, 10, 0)  # Monday
    at = chicago(2023, 1, 22, 12, 0)
    polls = [("x", at, False), ("x", at, True)]  # same instant: the later item wins
    assert reference_report(as_of, polls, {"x": meta}) == [
        ("x", "60.00", "1.00", "1.00", "0.00", "0.00", "0.00")
    ]
    # An in-hours poll exists -> only it counts, the out-of-hours active poll is ignored.
    polls.append(("x", chicago(2023, 1, 23, 9, 59, 59), False))
    assert reference_report(as_of, polls, {"x": meta})[0][1:] == (
        "0.00",
        "0.00",
        "0.00",
        "60.00",
        "1.00",
        "1.00",
    )
    # A poll exactly at the end of hours is outside (start <= t < end): back to the fallback.
    polls[-1] = ("x", chicago(2023, 1, 23, 10, 0), False)
    # observations: Sunday 12:00 active, Monday 10:00 inactive -> switch Sunday 23:00 local.
    assert reference_report(as_of, polls, {"x": meta})[0][1:] == (
        "0.00",
        "0.00",
        "0.00",
        "60.00",
        "1.00",
        "1.00",
    )


def test_reference_overnight_end_equals_start_across_fall_back() -> None:
    # Saturday 2023-11-04 12:00 -> Sunday 12:00 in Chicago lasts 25 hours (fall-back at 02:00).
    meta = StoreMeta(hours=((5, time(12), time(12)),))
    as_of = chicago(2023, 11, 5, 13, 0)
    polls = [("x", chicago(2023, 11, 4, 13, 0), True)]
    row = reference_report(as_of, polls, {"x": meta})[0]
    assert row[1:] == ("0.00", "23.00", "25.00", "0.00", "0.00", "0.00")
    # Only polls in span count; rows sorted by str ("10" < "9").
    polls += [
        ("9", as_of, True),
        ("10", as_of - timedelta(days=8), True),
        ("11", as_of - timedelta(days=8, microseconds=1), True),
        ("12", as_of + timedelta(microseconds=1), True),
    ]
    assert [r[0] for r in reference_report(as_of, polls, {"x": meta})] == ["10", "9", "x"]


# ---------------------------------------------------------------------------------------------
# Hand-made edge cases, checked against the reference and compared with compute_report
# ---------------------------------------------------------------------------------------------
def both(
    as_of: datetime, polls: list[tuple[str, datetime, bool]], stores: dict[str, StoreMeta]
) -> list[tuple[str, str, str, str, str, str, str]]:
    expected = reference_report(as_of, polls, stores)
    actual = [tuple(row) for row in compute_report(as_of, polls, stores)]
    assert actual == expected, (as_of, polls, stores)
    return expected


@pytest.mark.parametrize("p_extra", [1, 0])
def test_half_microsecond_midpoints(p_extra: int) -> None:
    # 24x7; the active cell runs between two midpoints that are each half a microsecond off the
    # microsecond grid; exactly 299,999.5 us of uptime = 0.00499999 min -> "0.00". Rounding
    # each midpoint to a whole microsecond (down, up or to nearest) turns it into 300,000 us =
    # 0.005 min -> "0.01" for one of the two parities.
    as_of = datetime(2023, 1, 25, 18, 0, tzinfo=UTC)
    w = as_of - timedelta(hours=1)
    first = w + timedelta(seconds=1)
    polls = [
        ("s", first, False),
        ("s", w + timedelta(seconds=1.3, microseconds=p_extra), True),
        ("s", first + timedelta(microseconds=599_999), False),
    ]
    assert both(as_of, polls, {}) == [("s", "0.00", "0.00", "0.00", "60.00", "24.00", "168.00")]


def test_interval_from_the_date_before_the_span() -> None:
    # Span starts Tue 2023-01-17 02:00 CST; Monday's 20:00-04:00 shift (built for the date
    # before the span) covers it, so the 03:00 poll is in hours and is the only observation.
    meta = StoreMeta(hours=((0, time(20), time(4)),))
    as_of = chicago(2023, 1, 25, 2, 0)
    polls = [
        ("s", chicago(2023, 1, 17, 3, 0), True),
        ("s", chicago(2023, 1, 25, 1, 0), False),  # outside hours
    ]
    assert both(as_of, polls, {"s": meta}) == [
        ("s", "0.00", "2.00", "8.00", "0.00", "0.00", "0.00")
    ]


def test_sunday_rows_in_dst_gap_and_repeat() -> None:
    # Chicago, Sunday 2023-03-12 02:30 (gap) -> 08:30Z; 2023-11-05 01:30 (repeated) -> 07:30Z.
    spring = StoreMeta(hours=((6, time(2, 30), time(4)),))  # 08:30Z-09:00Z = 0.5 h
    fall = StoreMeta(hours=((6, time(1, 30), time(3)),))  # 07:30Z-09:00Z = 1.5 h
    as_of = datetime(2023, 3, 12, 12, 0, tzinfo=UTC)
    polls = [("s", datetime(2023, 3, 12, 8, 45, tzinfo=UTC), True)]
    assert both(as_of, polls, {"s": spring}) == [
        ("s", "0.00", "0.50", "0.50", "0.00", "0.00", "0.00")  # 2023-03-05's shift is too early
    ]
    as_of = datetime(2023, 11, 5, 12, 0, tzinfo=UTC)
    polls = [("s", datetime(2023, 11, 5, 8, 0, tzinfo=UTC), False)]
    assert both(as_of, polls, {"s": fall}) == [
        ("s", "0.00", "0.00", "0.00", "0.00", "1.50", "1.50")
    ]


# ---------------------------------------------------------------------------------------------
# Period reports: randomized comparison of compute_period_report with the reference
# ---------------------------------------------------------------------------------------------
# (zone, a local date at or next to a DST change) — ranges are put around these.
PERIOD_SCENARIOS: list[tuple[str | None, date]] = [
    ("America/New_York", date(2023, 3, 12)),  # 02:00 -> 03:00, a 23-hour day
    ("America/New_York", date(2023, 11, 5)),  # 02:00 -> 01:00, a 25-hour day
    ("America/New_York", date(2024, 3, 10)),  # leap year: ranges across 2024-02-29
    ("Europe/Berlin", date(2023, 3, 26)),
    ("Europe/Berlin", date(2023, 10, 29)),
    ("Australia/Sydney", date(2023, 4, 2)),
    ("Australia/Sydney", date(2023, 10, 1)),
    ("Asia/Beirut", date(2023, 3, 26)),  # 00:00 -> 01:00: local midnight does not exist
    ("Asia/Beirut", date(2023, 10, 29)),  # 00:00 -> 23:00 on the 28th: that day has 25 hours
    ("Asia/Kolkata", date(2023, 3, 12)),  # no DST, UTC+05:30
    ("America/St_Johns", date(2023, 3, 12)),  # UTC-03:30 / -02:30
    ("America/St_Johns", date(2023, 11, 5)),
    (None, date(2023, 3, 12)),  # no zone -> America/Chicago
    (None, date(2023, 11, 5)),
]
PERIOD_ZONES: list[str | None] = [*sorted({z for z, _ in PERIOD_SCENARIOS if z}), None]
US = timedelta(microseconds=1)


def ticks_to_datetime(ticks: int) -> datetime:
    assert ticks % 2 == 0, ticks
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ticks // 2)


def midnight_ticks(day: date, zone: str | None) -> int:
    return local_to_ticks(day, time(0), zone or "America/Chicago")


def random_range(rng: random.Random, transition: date) -> tuple[date, date, str]:
    kind = rng.random()
    if kind < 0.4:
        length = rng.randint(1, 7)
    elif kind < 0.75:
        length = rng.randint(8, 35)
    else:
        length = rng.randint(36, 70)
    if rng.random() < 0.8:
        first = transition - timedelta(days=rng.randrange(length))  # holds the change
    else:
        first = transition + timedelta(days=rng.randint(-length - 3, 3))
    last = first + timedelta(days=length - 1)
    return first, last, rng.choice(["day", "week", "month", "total"])


def random_period_as_of(rng: random.Random, zone: str | None, first: date, last: date) -> datetime:
    """as_of before, at the start of, inside, at the end of or after the range (in ``zone``)."""
    start = midnight_ticks(first, zone)
    end = midnight_ticks(last + timedelta(days=1), zone)
    micro = 2  # ticks
    kind = rng.random()
    if kind < 0.08:  # before the span: no rows at all
        ticks = start - TICKS_PER_DAY - micro * rng.randint(1, 3 * 86_400_000_000)
    elif kind < 0.16:  # in the lead-in [S - 24 h, S): polls, but no period has started
        ticks = start - micro * rng.randint(0, 86_400_000_000)
    elif kind < 0.2:
        ticks = start + micro * rng.choice([0, 1])
    elif kind < 0.6:  # inside
        ticks = start + micro * rng.randrange((end - start) // micro)
    elif kind < 0.7:  # on (or next to) a local midnight inside the range
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        ticks = midnight_ticks(day, zone) + micro * rng.choice([0, 0, -1, 1])
    elif kind < 0.78:
        ticks = end + micro * rng.choice([0, 0, -1, 1])
    else:  # after the range
        ticks = end + micro * rng.randint(1, 3 * 86_400_000_000)
    if rng.random() < 0.15:
        ticks -= ticks % (micro * 1_000_000 * 60)  # a whole minute
    return ticks_to_datetime(ticks)


def period_boundary_instants(
    rng: random.Random, meta: StoreMeta, first: date, last: date, count: int
) -> list[int]:
    """Ticks exactly at local midnights of the range and at business-hours starts / ends."""
    zone = meta.timezone or "America/Chicago"
    days = (last - first).days
    out = []
    for _ in range(count):
        day = first + timedelta(days=rng.randint(-1, days + 1))
        if not meta.hours or rng.random() < 0.4:
            ticks = local_to_ticks(day, time(0), zone)
        else:
            weekday, start, end = rng.choice(meta.hours)
            day -= timedelta(days=(day.weekday() - weekday) % 7)
            if rng.random() < 0.5:
                ticks = local_to_ticks(day, start, zone)
            else:
                end_day = day if end > start else day + timedelta(days=1)
                ticks = local_to_ticks(end_day, end, zone)
        out.append(ticks + 2 * rng.choice([0, 0, 0, -1, 1]))
    return out


def random_period_polls(
    rng: random.Random,
    store_id: str,
    as_of: datetime,
    meta: StoreMeta,
    first: date,
    last: date,
) -> list[tuple[str, datetime, bool]]:
    zone = meta.timezone
    now = to_ticks(as_of)
    start = midnight_ticks(first, zone)
    end = midnight_ticks(last + timedelta(days=1), zone)
    span_start = start - TICKS_PER_DAY
    span_end = max(min(end, now), span_start)
    # Mostly inside the span, with a margin on both sides (polls outside it must not count).
    lo = span_start - 6 * TICKS_PER_HOUR
    hi = span_end + 6 * TICKS_PER_HOUR
    style = rng.random()
    if style < 0.15:
        count = rng.randint(1, 3)  # very sparse
    elif style < 0.55:
        count = rng.randint(4, 30)
    else:
        count = rng.randint(30, 150)
    if 0.55 <= style < 0.62:
        lo, hi = span_start, start  # only in the 24 h lead-in before S
    instants = [rng.randrange(lo // 2, hi // 2 + 1) * 2 for _ in range(count)]
    for special, chance in [
        (span_start, 0.25),
        (span_start - 2, 0.15),
        (span_end, 0.25),
        (span_end + 2, 0.15),
        (now, 0.2),
        (end, 0.15),
        (end + 2, 0.1),
        (start, 0.15),
    ]:
        if rng.random() < chance:
            instants.append(special)
    if rng.random() < 0.5:
        instants += period_boundary_instants(rng, meta, first, last, rng.randint(1, 8))
    if meta.hours and rng.random() < 0.12:
        # only polls outside business hours: every poll of the span is an observation
        intervals = business_intervals(meta, span_start, span_end)
        instants = [t for t in instants if not inside(t, intervals)]
    moments = [ticks_to_datetime(t) for t in instants]
    return as_polls(rng, store_id, moments, ["Asia/Beirut", "America/St_Johns"])


def random_period_case(seed: int) -> tuple[datetime, list[Poll], dict[str, StoreMeta], Range]:
    rng = random.Random(seed)
    scenario_zone, transition = rng.choice(PERIOD_SCENARIOS)
    first, last, interval = random_range(rng, transition)
    as_of = random_period_as_of(rng, scenario_zone, first, last)
    polls, stores = random_stores(
        rng,
        scenario_zone,
        PERIOD_ZONES,
        lambda store_id, meta: random_period_polls(rng, store_id, as_of, meta, first, last),
    )
    return as_of, polls, stores, Range(first, last, interval)


PERIOD_SEEDS = range(1500)
PeriodCase = tuple[
    datetime, list[tuple[str, datetime, bool]], dict[str, StoreMeta], Range, list[tuple[str, ...]]
]


@functools.cache
def period_case(seed: int) -> PeriodCase:
    """The random case of ``seed`` and the reference's rows for it (computed once per run)."""
    as_of, polls, stores, periods = random_period_case(seed)
    expected = reference_period_report(
        as_of, list(polls), dict(stores), periods.first, periods.last, periods.interval
    )
    return as_of, polls, stores, periods, expected  # type: ignore[return-value]


@pytest.mark.parametrize("seed", PERIOD_SEEDS)
def test_compute_period_report_matches_reference(seed: int) -> None:
    as_of, polls, stores, periods, expected = period_case(seed)
    actual = [tuple(row) for row in compute_period_report(as_of, list(polls), stores, periods)]
    if actual != expected:
        involved = sorted({row[0] for row in set(actual) ^ set(expected)} or {"?"})
        pytest.fail(
            f"seed={seed} as_of={as_of.isoformat()} range={periods}\n"
            f"reference rows of the stores that differ:\n"
            f"{pformat([r for r in expected if r[0] in involved])}\n"
            f"compute_period_report rows of those stores:\n"
            f"{pformat([r for r in actual if r[0] in involved])}\n"
            f"stores={pformat({k: v for k, v in stores.items() if k in involved})}\n"
            f"polls={pformat(sorted(p for p in polls if p[0] in involved))}",
            pytrace=False,
        )


def store_features(
    as_of: datetime,
    store_polls: list[tuple[str, datetime, bool]],
    meta: StoreMeta | None,
    periods: Range,
    rows: list[tuple[str, ...]],
) -> set[str]:
    """What one store of a random case exercises (for the coverage check below)."""
    features = {f"interval {periods.interval}", "rows" if rows else "no rows"}
    zone = meta.timezone if meta else None
    features.add(f"zone {zone}")
    if meta is None:
        features.add("missing from stores")
    elif not meta.hours:
        features.add("no hours")
    else:
        if any(end == start for _, start, end in meta.hours):
            features.add("end == start")
        if any(end < start for _, start, end in meta.hours):
            features.add("overnight")
        if len({day for day, _, _ in meta.hours}) < len(meta.hours):
            features.add("split")
    now = to_ticks(as_of)
    start = midnight_ticks(periods.first, zone)
    end = midnight_ticks(periods.last + timedelta(days=1), zone)
    if now < start - TICKS_PER_DAY:
        features.add("as_of before the span")
    elif now < start:
        features.add("as_of in the lead-in")
    elif now < end:
        features.add("as_of inside")
    else:
        features.add("as_of after")
    if (end - start) % TICKS_PER_DAY:
        features.add("range crosses a DST change")
    days = (periods.last - periods.first).days + 1
    features.add("1 date" if days == 1 else "2-35 dates" if days <= 35 else "36-70 dates")
    instants = [to_ticks(m) for _, m, _ in store_polls]
    if len(set(instants)) < len(instants):
        features.add("duplicates")
    span = [t for t in instants if start - TICKS_PER_DAY <= t <= min(end, now)]
    if rows and all(t < start for t in span):
        features.add("rows from lead-in polls only")
    if rows and meta and meta.hours:
        intervals = business_intervals(meta, start - TICKS_PER_DAY, min(end, now))
        if not any(inside(t, intervals) for t in span):
            features.add("rows from out-of-hours polls only")
    if any(r[4] == "" for r in rows):
        features.add("empty percent")
    if any(r[2] != "0.00" and r[3] != "0.00" for r in rows):
        features.add("up and down")
    return features


def test_period_cases_cover_what_they_should() -> None:
    """The generator really produces the situations the comparison is meant to cover."""
    counts: collections.Counter[str] = collections.Counter()
    rows = 0
    for seed in PERIOD_SEEDS:
        as_of, polls, stores, periods, expected = period_case(seed)
        rows += len(expected)
        for store_id in {p[0] for p in polls}:
            counts.update(
                store_features(
                    as_of,
                    [p for p in polls if p[0] == store_id],
                    stores.get(store_id),
                    periods,
                    [r for r in expected if r[0] == store_id],
                )
            )
    wanted = [
        *(f"interval {i}" for i in ("day", "week", "month", "total")),
        *(f"zone {z}" for z in PERIOD_ZONES),
        "rows",
        "no rows",
        "missing from stores",
        "no hours",
        "end == start",
        "overnight",
        "split",
        "as_of before the span",
        "as_of in the lead-in",
        "as_of inside",
        "as_of after",
        "range crosses a DST change",
        "1 date",
        "2-35 dates",
        "36-70 dates",
        "duplicates",
        "rows from lead-in polls only",
        "rows from out-of-hours polls only",
        "empty percent",
        "up and down",
    ]
    assert {name: counts[name] for name in wanted if counts[name] < 10} == {}, counts
    assert rows > 9_000, rows


# Hand-checked sanity tests of the period reference itself.
def test_reference_local_periods() -> None:
    wed, tue = date(2023, 3, 1), date(2023, 3, 14)  # Wednesday ... Tuesday two weeks later
    assert local_periods(wed, tue, "week") == [
        (date(2023, 3, 1), date(2023, 3, 5)),
        (date(2023, 3, 6), date(2023, 3, 12)),
        (date(2023, 3, 13), date(2023, 3, 14)),
    ]
    assert local_periods(date(2023, 12, 30), date(2024, 2, 1), "month") == [
        (date(2023, 12, 30), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 1)),
    ]
    assert local_periods(wed, tue, "total") == [(wed, tue)]
    assert len(local_periods(wed, tue, "day")) == 14
    assert local_periods(date(2023, 3, 5), date(2023, 3, 5), "week") == [
        (date(2023, 3, 5), date(2023, 3, 5))
    ]


def test_reference_period_day_of_23_and_25_hours() -> None:
    # 24x7, one active poll: every day is all up; New York's 2023-03-12 has 23 hours,
    # 2023-11-05 has 25. The poll (12:00Z) lies on the 12th, then on the 5th: polls 0, 1, 0.
    as_of = datetime(2023, 12, 1, tzinfo=UTC)
    polls = [("s", datetime(2023, 3, 12, 12, tzinfo=UTC), True)]
    stores = {"s": StoreMeta("America/New_York")}
    rows = reference_period_report(
        as_of, polls, stores, date(2023, 3, 11), date(2023, 3, 13), "day"
    )
    assert [r[1:] for r in rows] == [
        ("2023-03-11", "24.00", "0.00", "100.00", "0"),
        ("2023-03-12", "23.00", "0.00", "100.00", "1"),
        ("2023-03-13", "24.00", "0.00", "100.00", "0"),
    ]
    polls = [("s", datetime(2023, 11, 5, 12, tzinfo=UTC), False)]
    rows = reference_period_report(
        as_of, polls, stores, date(2023, 11, 5), date(2023, 11, 5), "day"
    )
    assert rows == [("s", "2023-11-05", "0.00", "25.00", "0.00", "1")]


def test_reference_period_as_of_cuts_and_the_span() -> None:
    # Berlin, 24x7; range 2023-01-02 (Mon) .. 2023-01-03; S = 2023-01-01T23:00Z.
    stores = {"s": StoreMeta("Europe/Berlin")}
    first, last = date(2023, 1, 2), date(2023, 1, 3)
    as_of = datetime(2023, 1, 2, 23, 0, tzinfo=UTC) + timedelta(hours=6)  # Jan 3 07:00 local
    # The only poll is at S - 24 h exactly (in the span, included): all up; day 2 up to as_of.
    # It lies before the range: no period counts it.
    polls = [("s", datetime(2022, 12, 31, 23, 0, tzinfo=UTC), True)]
    assert reference_period_report(as_of, polls, stores, first, last, "day") == [
        ("s", "2023-01-02", "24.00", "0.00", "100.00", "0"),
        ("s", "2023-01-03", "6.00", "0.00", "100.00", "0"),
    ]
    # One microsecond earlier it is outside the span: no rows.
    polls = [("s", datetime(2022, 12, 31, 23, 0, tzinfo=UTC) - US, True)]
    assert reference_period_report(as_of, polls, stores, first, last, "day") == []
    # A poll after as_of does not count; a poll at as_of does.
    polls = [("s", as_of + US, True)]
    assert reference_period_report(as_of, polls, stores, first, last, "total") == []
    polls = [("s", as_of, False)]
    assert reference_period_report(as_of, polls, stores, first, last, "total") == [
        ("s", "2023-01-02", "0.00", "30.00", "0.00", "1")
    ]
    # as_of exactly at the start of day 2: that day has no row, and day 1 ends before the
    # poll at as_of.
    as_of = datetime(2023, 1, 2, 23, 0, tzinfo=UTC)
    assert reference_period_report(as_of, [("s", as_of, True)], stores, first, last, "day") == [
        ("s", "2023-01-02", "24.00", "0.00", "100.00", "0")
    ]
