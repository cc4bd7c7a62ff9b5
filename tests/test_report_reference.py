"""Randomized comparison of ``shared.uptime.compute_report`` with the independent reference.

Plus a few hand-checked sanity tests of the reference itself. Every random case is generated
from ``random.Random(seed)``; on a mismatch the message carries the seed and the full input.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from pprint import pformat
from zoneinfo import ZoneInfo

import pendulum
import pytest

from shared.uptime import compute_report
from shared.uptime.model import StoreMeta
from tests.reference_report import format_2dp, local_to_ticks, reference_report, to_ticks

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
    if instants and rng.random() < 0.4:
        # the same instant again, perhaps with another status (later item wins)
        instants += rng.choices(instants, k=rng.randint(1, 4))
    if rng.random() < 0.1:
        # aware timestamps need not be in UTC: the same instant in another zone is the same poll
        zones = [timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
        zones += [ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
        instants = [m.astimezone(rng.choice(zones)) if rng.random() < 0.5 else m for m in instants]
    bias = rng.random()
    polls = [(store_id, moment, rng.random() < bias) for moment in instants]
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


def random_case(
    seed: int,
) -> tuple[datetime, list[tuple[str, datetime, bool]], dict[str, StoreMeta]]:
    rng = random.Random(seed)
    as_of, scenario_zone = random_as_of(rng)
    stores: dict[str, StoreMeta] = {}
    polls: list[tuple[str, datetime, bool]] = []
    for index in range(rng.randint(1, 4)):
        store_id = random_store_id(rng, index)
        zone = scenario_zone if rng.random() < 0.6 else rng.choice(ALL_ZONES)
        meta = StoreMeta(timezone=zone, hours=random_hours(rng))
        if rng.random() < 0.9:
            stores[store_id] = meta
        else:
            meta = StoreMeta()  # missing from `stores`: no zone, no hours
        if rng.random() < 0.95:
            polls += random_polls(rng, store_id, as_of, meta)
    if rng.random() < 0.3:
        # keep store blocks but interleave them
        rng.shuffle(polls)
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
