"""Independent tests of the report definitions (SPEC.md, "The report").

Every expected value below is computed by hand from the specification, not from the
implementation; the comment next to each case shows the computation.  Conventions used in
the comments: all instants are UTC unless marked otherwise ("EST", "EDT", "CST"), "up"/"down"
are uptime/downtime, h = hour window (minutes), d = day window (hours), w = week window
(hours).  Calendar: 2023-01-16 and 2023-01-23 are Mondays, 2023-03-12 and 2023-11-05 are the
US DST Sundays (America/New_York: EST = UTC-5, EDT = UTC-4).
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.uptime import compute_report, local_to_utc
from shared.uptime.model import ReportRow, StoreMeta

ACTIVE = True
INACTIVE = False
ZERO_ROW = ("0.00", "0.00", "0.00", "0.00", "0.00", "0.00")


def U(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    """An aware UTC instant."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def T(h: int, m: int = 0, s: int = 0) -> time:
    return time(h, m, s)


def R(store_id: str, values: tuple[str, str, str, str, str, str]) -> ReportRow:
    """values = (up_hour, up_day, up_week, down_hour, down_day, down_week)."""
    return ReportRow(store_id, *values)


def only_row(as_of, polls, stores, store_id):
    rows = compute_report(as_of, polls, stores)
    assert isinstance(rows, list)
    assert [r.store_id for r in rows] == [store_id]
    assert isinstance(rows[0], ReportRow)
    return rows[0]


# --------------------------------------------------------------------------------------------
# 1. The spec's worked example
# --------------------------------------------------------------------------------------------
WORKED_HOURS = ((0, T(9), T(12)),)  # Monday 09:00-12:00
WORKED_POLLS = [
    ("s", U(2023, 1, 23, 10, 14), ACTIVE),
    ("s", U(2023, 1, 23, 11, 15), INACTIVE),
]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # Switch at 10:14 + (61 min / 2) = 10:44:30.
        # d/w: business Mon 23 09:00-12:00 (Mon 16 09:00-12:00 ends before the week start
        #   Jan 16 12:30); up 09:00-10:44:30 = 1 h 44 m 30 s = 1.741666 -> 1.74,
        #   down 10:44:30-12:00 = 1 h 15 m 30 s = 1.258333 -> 1.26.
        # h = [11:30, 12:30]: business 11:30-12:00 = 30 min, all after the switch -> down 30.
        (U(2023, 1, 23, 12, 30), ("0.00", "1.74", "1.74", "30.00", "1.26", "1.26")),
        # h = [10:30, 11:30]: up 10:30-10:44:30 = 14.5 min, down 10:44:30-11:30 = 45.5 min.
        # d [Jan 22 11:30, Jan 23 11:30]: business 09:00-11:30 = 2.5 h; up 1.741666 -> 1.74;
        #   down 45.5 min = 0.758333 -> 0.76.
        # w [Jan 16 11:30, Jan 23 11:30] also holds Mon 16 11:30-12:00 (0.5 h); the first
        #   observation (Jan 23 10:14, active) holds before it, so that half hour is up:
        #   w up = 1.741666 + 0.5 = 2.241666 -> 2.24, w down = 0.758333 -> 0.76.
        (U(2023, 1, 23, 11, 30), ("14.50", "1.74", "2.24", "45.50", "0.76", "0.76")),
    ],
)
def test_worked_example(as_of, expected):
    row = only_row(as_of, WORKED_POLLS, {"s": StoreMeta("UTC", WORKED_HOURS)}, "s")
    assert row == R("s", expected)


def test_worked_example_uptime_plus_downtime_is_business_time():
    # 3 h of business time on Monday 23: 1 h 44 m 30 s up + 1 h 15 m 30 s down.
    row = only_row(U(2023, 1, 23, 13), WORKED_POLLS, {"s": StoreMeta("UTC", WORKED_HOURS)}, "s")
    assert (row.uptime_last_day, row.downtime_last_day) == ("1.74", "1.26")
    assert (row.uptime_last_week, row.downtime_last_week) == ("1.74", "1.26")
    assert (row.uptime_last_hour, row.downtime_last_hour) == ("0.00", "0.00")  # 12:00-13:00 closed


def test_input_order_does_not_matter():
    # Same as the worked example, polls given newest first and interleaved with another store
    # (24x7, not in the mapping, one active poll -> all up).
    as_of = U(2023, 1, 23, 12, 30)
    polls = [
        ("s", U(2023, 1, 23, 11, 15), INACTIVE),
        ("t", U(2023, 1, 23, 12), ACTIVE),
        ("s", U(2023, 1, 23, 10, 14), ACTIVE),
    ]
    rows = compute_report(as_of, polls, {"s": StoreMeta("UTC", WORKED_HOURS)})
    assert rows == [
        R("s", ("0.00", "1.74", "1.74", "30.00", "1.26", "1.26")),
        R("t", ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00")),
    ]


# --------------------------------------------------------------------------------------------
# 2. Overnight shifts, split shifts, overlapping rows
# --------------------------------------------------------------------------------------------
def test_overnight_shift():
    # Wednesday 22:00-02:00 UTC. as_of Thu Jan 26 01:30.
    # Intervals: Wed Jan 18 22:00 -> Thu Jan 19 02:00, Wed Jan 25 22:00 -> Thu Jan 26 02:00.
    # Observations 23:00 active, 01:00 inactive (both inside) -> switch Jan 26 00:00.
    # h [00:30, 01:30]: 60 min, all down.
    # d [Jan 25 01:30, Jan 26 01:30]: 22:00-01:30 = 3.5 h: up 22:00-00:00 = 2, down 1.5.
    # w [Jan 19 01:30, Jan 26 01:30]: also Jan 19 01:30-02:00 = 0.5 h, before the first
    #   observation (active) -> up 2.5, down 1.5.
    as_of = U(2023, 1, 26, 1, 30)
    polls = [("n", U(2023, 1, 25, 23), ACTIVE), ("n", U(2023, 1, 26, 1), INACTIVE)]
    stores = {"n": StoreMeta("UTC", ((2, T(22), T(2)),))}
    assert only_row(as_of, polls, stores, "n") == R(
        "n", ("0.00", "2.00", "2.50", "60.00", "1.50", "1.50")
    )


def test_split_shifts_and_overlapping_rows_count_once():
    # Monday rows 09-11, 13-15, 10-12 and 09-11 again -> union 09:00-12:00 and 13:00-15:00 (5 h).
    # Observations 11:00 active, 14:00 inactive (both inside) -> switch 12:30 (closed).
    # as_of Mon Jan 23 15:30. h [14:30, 15:30]: business 14:30-15:00 = 30 min, down.
    # d/w: up 09-12 = 3 h, down 13-15 = 2 h (Mon 16 shifts end before week start Jan 16 15:30).
    as_of = U(2023, 1, 23, 15, 30)
    hours = (
        (0, T(9), T(11)),
        (0, T(13), T(15)),
        (0, T(10), T(12)),
        (0, T(9), T(11)),
    )
    polls = [("sp", U(2023, 1, 23, 11), ACTIVE), ("sp", U(2023, 1, 23, 14), INACTIVE)]
    assert only_row(as_of, polls, {"sp": StoreMeta("UTC", hours)}, "sp") == R(
        "sp", ("0.00", "3.00", "3.00", "30.00", "2.00", "2.00")
    )


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        # Mon 20:00-02:00 and Tue 01:00-03:00 overlap on Tue 01:00-02:00 -> union
        # Mon Jan 23 20:00 -> Tue Jan 24 03:00 = 7 h (not 8). Mon 16's 20:00 -> Tue 17 03:00 ends
        # before the week start Jan 17 12:00.
        (((0, T(20), T(2)), (1, T(1), T(3))), ("0.00", "7.00", "7.00", "0.00", "0.00", "0.00")),
        # Overnight shift ending exactly at midnight: Mon 22:00 -> Tue 00:00 = 2 h.
        (((0, T(22), T(0)),), ("0.00", "2.00", "2.00", "0.00", "0.00", "0.00")),
        # A shift contained in another one: Mon 20:00-04:00 and Tue 00:30-01:00 -> 8 h.
        (((0, T(20), T(4)), (1, T(0, 30), T(1))), ("0.00", "8.00", "8.00", "0.00", "0.00", "0.00")),
    ],
)
def test_overlapping_intervals_across_midnight(hours, expected):
    # One active poll Mon Jan 23 21:00 (inside) -> all business time up. as_of Tue Jan 24 12:00:
    # d = [Jan 23 12:00, Jan 24 12:00], w = [Jan 17 12:00, Jan 24 12:00], h closed.
    as_of = U(2023, 1, 24, 12)
    polls = [("x", U(2023, 1, 23, 21), ACTIVE)]
    assert only_row(as_of, polls, {"x": StoreMeta("UTC", hours)}, "x") == R("x", expected)


# --------------------------------------------------------------------------------------------
# 3. Overnight shift running into a day without rows; intervals of the date before the span
# --------------------------------------------------------------------------------------------
def test_overnight_into_day_without_rows():
    # Only Sunday 20:00-04:00 UTC; Monday has no rows of its own.
    # as_of Mon Jan 23 03:30. Observations Sun Jan 22 21:00 inactive, Mon Jan 23 03:00 active
    # (both inside) -> switch Jan 23 00:00.
    # h [02:30, 03:30]: inside Sun 22 20:00 -> Mon 23 04:00, all up -> 60.
    # d [Jan 22 03:30, Jan 23 03:30]: 20:00-03:30 = 7.5 h: down 20:00-00:00 = 4, up 3.5.
    # w [Jan 16 03:30, Jan 23 03:30]: plus Sun 15 20:00 -> Mon 16 04:00 clipped to 03:30-04:00 =
    #   0.5 h, before the first observation (inactive) -> down 4.5, up 3.5.
    as_of = U(2023, 1, 23, 3, 30)
    polls = [("su", U(2023, 1, 22, 21), INACTIVE), ("su", U(2023, 1, 23, 3), ACTIVE)]
    stores = {"su": StoreMeta("UTC", ((6, T(20), T(4)),))}
    assert only_row(as_of, polls, stores, "su") == R(
        "su", ("60.00", "3.50", "3.50", "0.00", "4.00", "4.50")
    )


def test_interval_from_date_before_span_decides_observations():
    # Only Sunday 20:00-04:00 UTC. as_of Tue Jan 24 01:00 -> span starts Mon Jan 16 01:00.
    # The interval of Sun Jan 15 (the date before the span) runs to Mon Jan 16 04:00, so the
    # poll Jan 16 02:00 (in the span) is inside business hours and is the only observation;
    # the two active polls (Sun 22 12:00, Mon 23 12:00) are outside hours and are ignored.
    # -> every business instant is down.
    # w [Jan 17 01:00, Jan 24 01:00]: Sun 22 20:00 -> Mon 23 04:00 = 8 h down.
    # d [Jan 23 01:00, Jan 24 01:00]: Mon 23 01:00-04:00 = 3 h down. h [00:00, 01:00] closed.
    as_of = U(2023, 1, 24, 1)
    polls = [
        ("b", U(2023, 1, 16, 2), INACTIVE),
        ("b", U(2023, 1, 22, 12), ACTIVE),
        ("b", U(2023, 1, 23, 12), ACTIVE),
    ]
    stores = {"b": StoreMeta("UTC", ((6, T(20), T(4)),))}
    assert only_row(as_of, polls, stores, "b") == R(
        "b", ("0.00", "0.00", "0.00", "0.00", "3.00", "8.00")
    )


# --------------------------------------------------------------------------------------------
# 4. end == start lasts until the same wall-clock time next day (24 h, or 23/25 h across DST)
# --------------------------------------------------------------------------------------------
def test_end_equal_start_lasts_24h():
    # Tuesday 10:00-10:00 UTC -> Tue Jan 24 10:00 -> Wed Jan 25 10:00. as_of Wed Jan 25 10:30.
    # Observations Jan 24 12:00 active, Jan 25 08:00 inactive -> switch Jan 24 22:00.
    # h [09:30, 10:30]: business 09:30-10:00 = 30 min down.
    # d [Jan 24 10:30, Jan 25 10:30]: 23.5 h: up 10:30-22:00 = 11.5, down 22:00-10:00 = 12.
    # w [Jan 18 10:30, ...]: Tue 17 10:00 -> Wed 18 10:00 ends before; Jan 24 10:00 -> Jan 25
    #   10:00: up 10:00-22:00 = 12 (first observation holds before 12:00), down 12.
    as_of = U(2023, 1, 25, 10, 30)
    polls = [("e", U(2023, 1, 24, 12), ACTIVE), ("e", U(2023, 1, 25, 8), INACTIVE)]
    stores = {"e": StoreMeta("UTC", ((1, T(10), T(10)),))}
    assert only_row(as_of, polls, stores, "e") == R(
        "e", ("0.00", "11.50", "12.00", "30.00", "12.00", "12.00")
    )


@pytest.mark.parametrize(
    ("as_of", "polls", "expected"),
    [
        # Spring forward. Sat Mar 11 12:00 EST = 17:00Z -> Sun Mar 12 12:00 EDT = 16:00Z: 23 h.
        # Observations Mar 11 18:00Z active, Mar 12 14:00Z inactive -> switch Mar 12 04:00Z.
        # w [Mar 6 00:00Z, Mar 13 00:00Z] (Sat Mar 4's interval ends Mar 5 17:00Z: outside):
        #   up 17:00Z-04:00Z = 11, down 04:00Z-16:00Z = 12 (11 + 12 = 23).
        # d [Mar 12 00:00Z, Mar 13 00:00Z]: up 00:00Z-04:00Z = 4, down 12. h closed.
        (
            U(2023, 3, 13),
            [(U(2023, 3, 11, 18), ACTIVE), (U(2023, 3, 12, 14), INACTIVE)],
            ("0.00", "4.00", "11.00", "0.00", "12.00", "12.00"),
        ),
        # Fall back. Sat Nov 4 12:00 EDT = 16:00Z -> Sun Nov 5 12:00 EST = 17:00Z: 25 h.
        # Observations Nov 4 18:00Z active, Nov 5 16:00Z inactive -> switch Nov 5 05:00Z.
        # w [Oct 30 00:00Z, Nov 6 00:00Z] (Sat Oct 28's interval ends Oct 29 16:00Z: outside):
        #   up 16:00Z-05:00Z = 13, down 05:00Z-17:00Z = 12 (13 + 12 = 25).
        # d [Nov 5 00:00Z, Nov 6 00:00Z]: up 00:00Z-05:00Z = 5, down 12. h closed.
        (
            U(2023, 11, 6),
            [(U(2023, 11, 4, 18), ACTIVE), (U(2023, 11, 5, 16), INACTIVE)],
            ("0.00", "5.00", "13.00", "0.00", "12.00", "12.00"),
        ),
    ],
)
def test_end_equal_start_across_dst_lasts_23_or_25h(as_of, polls, expected):
    stores = {"ny": StoreMeta("America/New_York", ((5, T(12), T(12)),))}  # Saturday 12:00-12:00
    row = only_row(as_of, [("ny", t, a) for t, a in polls], stores, "ny")
    assert row == R("ny", expected)


# --------------------------------------------------------------------------------------------
# 5. 00:00:00-23:59:59 is closed one second a day
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        # Every day 00:00:00-23:59:59 UTC, closed [23:59:59, 24:00:00).
        # as_of Mon Jan 23 00:30 -> h [Jan 22 23:30, Jan 23 00:30] holds the closed second of
        # Jan 22: 3600 - 1 = 3599 s = 59.98333 min -> 59.98.
        # d [Jan 22 00:30, Jan 23 00:30]: one closed second -> 86399 s = 23.99972 h -> 24.00.
        # w [Jan 16 00:30, Jan 23 00:30]: closed seconds of Jan 16..22 = 7 -> 604793 s =
        #   167.99806 h -> 168.00.
        (ACTIVE, ("59.98", "24.00", "168.00", "0.00", "0.00", "0.00")),
        (INACTIVE, ("0.00", "0.00", "0.00", "59.98", "24.00", "168.00")),
    ],
)
def test_open_until_235959_is_closed_one_second(status, expected):
    hours = tuple((d, T(0, 0, 0), T(23, 59, 59)) for d in range(7))
    as_of = U(2023, 1, 23, 0, 30)
    polls = [("c", U(2023, 1, 22, 12), status), ("c", U(2023, 1, 23, 0, 15), status)]
    assert only_row(as_of, polls, {"c": StoreMeta("UTC", hours)}, "c") == R("c", expected)


# --------------------------------------------------------------------------------------------
# 6. No hours -> open 24x7 (also for a store missing from the mapping)
# --------------------------------------------------------------------------------------------
def test_no_hours_means_24x7():
    as_of = U(2023, 1, 25, 18, 13, 22)
    polls = [
        # "open": StoreMeta with no rows; active polls at as_of - 8 d and as_of -> all up:
        # h 60 min, d 24 h, w 168 h.
        ("open", as_of - timedelta(days=8), ACTIVE),
        ("open", as_of, ACTIVE),
        # "nozone": StoreMeta(None, ()) -> also 24x7; one inactive poll -> all down.
        ("nozone", as_of - timedelta(hours=5), INACTIVE),
        # "unknown": not in the mapping -> 24x7. as_of-2h active, as_of inactive -> switch at
        # as_of-1h: h all down (60); d up 23 / down 1; w up 167 / down 1.
        ("unknown", as_of - timedelta(hours=2), ACTIVE),
        ("unknown", as_of, INACTIVE),
    ]
    stores = {"open": StoreMeta("UTC", ()), "nozone": StoreMeta(None, ())}
    assert compute_report(as_of, polls, stores) == [
        R("nozone", ("0.00", "0.00", "0.00", "60.00", "24.00", "168.00")),
        R("open", ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00")),
        R("unknown", ("0.00", "23.00", "167.00", "60.00", "1.00", "1.00")),
    ]


# --------------------------------------------------------------------------------------------
# 7. No zone -> America/Chicago
# --------------------------------------------------------------------------------------------
MON_9_17 = ((0, T(9), T(17)),)


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        # Chicago in January is CST = UTC-6: Monday 09:00-17:00 CST = 15:00Z-23:00Z.
        # as_of Mon Jan 23 15:30Z; one active poll 15:10Z (09:10 CST, inside) -> all up.
        # h [14:30Z, 15:30Z]: 15:00Z-15:30Z = 30 min. d: Jan 23 15:00Z-15:30Z = 0.5 h.
        # w [Jan 16 15:30Z, ...]: Jan 16 15:30Z-23:00Z = 7.5 h + 0.5 h = 8 h.
        (StoreMeta(None, MON_9_17), ("30.00", "0.50", "8.00", "0.00", "0.00", "0.00")),
        (StoreMeta(hours=MON_9_17), ("30.00", "0.50", "8.00", "0.00", "0.00", "0.00")),
        (
            StoreMeta("America/Chicago", MON_9_17),
            ("30.00", "0.50", "8.00", "0.00", "0.00", "0.00"),
        ),
        # Control, zone UTC: 09:00Z-17:00Z. h fully open = 60. d: 09:00Z-15:30Z = 6.5 h.
        # w: Jan 16 15:30Z-17:00Z = 1.5 h + 6.5 h = 8 h.
        (StoreMeta("UTC", MON_9_17), ("60.00", "6.50", "8.00", "0.00", "0.00", "0.00")),
    ],
)
def test_missing_zone_defaults_to_chicago(meta, expected):
    as_of = U(2023, 1, 23, 15, 30)
    polls = [("ch", U(2023, 1, 23, 15, 10), ACTIVE)]
    assert only_row(as_of, polls, {"ch": meta}, "ch") == R("ch", expected)


# --------------------------------------------------------------------------------------------
# 8. local_to_utc
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("zone", "d", "t", "expected"),
    [
        # The spec's four test vectors.
        ("Europe/Berlin", date(2023, 3, 26), T(2, 30), U(2023, 3, 26, 1, 30)),  # gap: CET +1
        ("America/Chicago", date(2023, 3, 12), T(2, 30), U(2023, 3, 12, 8, 30)),  # gap: CST -6
        # Sydney 2023-04-02 02:30 happens twice (AEDT +11, then AEST +10): later = +10.
        ("Australia/Sydney", date(2023, 4, 2), T(2, 30), U(2023, 4, 1, 16, 30)),
        ("America/New_York", date(2023, 11, 5), T(1, 30), U(2023, 11, 5, 6, 30)),  # later: EST
        # More: Berlin fall-back 02:30 twice (CEST +2, CET +1): later = CET -> 01:30Z.
        ("Europe/Berlin", date(2023, 10, 29), T(2, 30), U(2023, 10, 29, 1, 30)),
        # Sydney spring-forward 2023-10-01 02:30 does not exist: offset before = AEST +10.
        ("Australia/Sydney", date(2023, 10, 1), T(2, 30), U(2023, 9, 30, 16, 30)),
        # New York spring gap: 02:30 read as EST (-5) -> 07:30Z; 02:00 -> 07:00Z;
        # 03:00 EDT (first instant after the jump) -> 07:00Z.
        ("America/New_York", date(2023, 3, 12), T(2, 30), U(2023, 3, 12, 7, 30)),
        ("America/New_York", date(2023, 3, 12), T(2, 0), U(2023, 3, 12, 7, 0)),
        ("America/New_York", date(2023, 3, 12), T(3, 0), U(2023, 3, 12, 7, 0)),
        # New York fall back: 00:30 still EDT (04:30Z); 01:00 and 01:59 later (EST); 02:00 EST.
        ("America/New_York", date(2023, 11, 5), T(0, 30), U(2023, 11, 5, 4, 30)),
        ("America/New_York", date(2023, 11, 5), T(1, 0), U(2023, 11, 5, 6, 0)),
        ("America/New_York", date(2023, 11, 5), T(1, 59), U(2023, 11, 5, 6, 59)),
        ("America/New_York", date(2023, 11, 5), T(2, 0), U(2023, 11, 5, 7, 0)),
        # Ordinary cases.
        ("America/Chicago", date(2023, 1, 23), T(9), U(2023, 1, 23, 15)),
        ("Asia/Kolkata", date(2023, 1, 1), T(0), U(2022, 12, 31, 18, 30)),
        ("UTC", date(2023, 1, 23), time(23, 59, 59, 999999), U(2023, 1, 23, 23, 59, 59, 999999)),
    ],
)
def test_local_to_utc(zone, d, t, expected):
    got = local_to_utc(zone, d, t)
    assert got.tzinfo is not None
    assert got.utcoffset() == timedelta(0)
    assert got == expected


# --------------------------------------------------------------------------------------------
# 9. DST weeks (America/New_York); one active poll -> uptime = business time
# --------------------------------------------------------------------------------------------
ALL_DAYS = range(7)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        # as_of Thu Mar 16 00:00Z: w [Mar 9 00:00Z, Mar 16 00:00Z] = local Wed Mar 8 19:00 EST ->
        # Wed Mar 15 20:00 EDT; d [Mar 15 00:00Z, Mar 16 00:00Z]; h closed in every case.
        #
        # Daily 01:00-03:00: Mar 9,10,11 (EST) 06-08Z = 3 x 2 h; Mar 12: 01:00 EST 06:00Z ->
        # 03:00 EDT 07:00Z = 1 h; Mar 13,14,15 (EDT) 05-07Z = 3 x 2 h -> w 13 h; d Mar 15 = 2 h.
        (tuple((d, T(1), T(3)) for d in ALL_DAYS), ("0.00", "2.00", "13.00")),
        # Daily 02:30-04:00: EST days 07:30Z-09:00Z (1.5 h) x 3; Mar 12: 02:30 is in the gap,
        # read as EST -> 07:30Z (= 03:30 EDT on the wall), end 04:00 EDT = 08:00Z -> 0.5 h;
        # EDT days 06:30Z-08:00Z (1.5 h) x 3 -> w 9.5 h; d 1.5 h.
        (tuple((d, T(2, 30), T(4)) for d in ALL_DAYS), ("0.00", "1.50", "9.50")),
        # Sunday 02:30-03:15: Mar 12 start 02:30 EST = 07:30Z, end 03:15 EDT = 07:15Z: the UTC
        # end is not after the start -> empty. (Sun Mar 5 is outside the week.) -> 0.
        (((6, T(2, 30), T(3, 15)),), ("0.00", "0.00", "0.00")),
        # Saturday 22:00-03:30: Sat Mar 11 22:00 EST = Mar 12 03:00Z -> Sun 03:30 EDT = 07:30Z
        # = 4.5 h of real time (5.5 h on the wall clock). Sat Mar 4's is outside. -> w 4.5.
        (((5, T(22), T(3, 30)),), ("0.00", "0.00", "4.50")),
    ],
)
def test_spring_forward_week(hours, expected):
    as_of = U(2023, 3, 16)
    polls = [("ny", U(2023, 3, 12, 12), ACTIVE)]
    row = only_row(as_of, polls, {"ny": StoreMeta("America/New_York", hours)}, "ny")
    assert row == R("ny", (*expected, "0.00", "0.00", "0.00"))


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        # as_of Thu Nov 9 00:00Z: w [Nov 2 00:00Z, Nov 9 00:00Z] = local Wed Nov 1 20:00 EDT ->
        # Wed Nov 8 19:00 EST; d [Nov 8 00:00Z, Nov 9 00:00Z]; h closed in every case.
        #
        # Daily 01:00-03:00: Nov 2,3,4 (EDT) 05-07Z = 3 x 2 h; Nov 5: 01:00 happens twice, the
        # later one is EST -> 06:00Z, end 03:00 EST = 08:00Z -> 2 h (not 3); Nov 6,7,8 (EST)
        # 06-08Z = 3 x 2 h -> w 14 h; d Nov 8 = 2 h.
        (tuple((d, T(1), T(3)) for d in ALL_DAYS), ("0.00", "2.00", "14.00")),
        # Sunday 01:30-03:00: 01:30 later = EST 06:30Z -> 08:00Z = 1.5 h (Oct 29 outside).
        (((6, T(1, 30), T(3)),), ("0.00", "0.00", "1.50")),
        # Sunday 00:30-01:30: 00:30 EDT = 04:30Z -> 01:30 later (EST) = 06:30Z = 2 h.
        (((6, T(0, 30), T(1, 30)),), ("0.00", "0.00", "2.00")),
        # Sunday 01:15-01:45: both in the repeated hour, both later: 06:15Z-06:45Z = 0.5 h.
        (((6, T(1, 15), T(1, 45)),), ("0.00", "0.00", "0.50")),
        # Saturday 22:00-02:00: Sat Nov 4 22:00 EDT = Nov 5 02:00Z -> Sun 02:00 EST = 07:00Z
        # = 5 h (4 h on the wall clock).
        (((5, T(22), T(2)),), ("0.00", "0.00", "5.00")),
    ],
)
def test_fall_back_week(hours, expected):
    as_of = U(2023, 11, 9)
    polls = [("ny", U(2023, 11, 5, 12), ACTIVE)]
    row = only_row(as_of, polls, {"ny": StoreMeta("America/New_York", hours)}, "ny")
    assert row == R("ny", (*expected, "0.00", "0.00", "0.00"))


def test_dst_gap_start_with_interpolation():
    # Sunday 02:30-04:00 New York on Mar 12: 07:30Z-08:00Z. Polls Mar 12 06:00Z active
    # (01:00 EST: outside hours) and 07:40Z inactive (inside) -> observations = {07:40Z
    # inactive} -> the whole 0.5 h is down. (Reading 02:30 as EDT = 06:30Z would be wrong.)
    # as_of Mar 13 00:00Z: d [Mar 12 00:00Z, ...] and w [Mar 6 00:00Z, ...] (Sun Mar 5's
    # 07:30Z-09:00Z is outside the week).
    as_of = U(2023, 3, 13)
    polls = [("g", U(2023, 3, 12, 6), ACTIVE), ("g", U(2023, 3, 12, 7, 40), INACTIVE)]
    stores = {"g": StoreMeta("America/New_York", ((6, T(2, 30), T(4)),))}
    assert only_row(as_of, polls, stores, "g") == R(
        "g", ("0.00", "0.00", "0.00", "0.00", "0.50", "0.50")
    )


# --------------------------------------------------------------------------------------------
# 10. Observations: in-hours polls only, unless there are none (decided over the whole span)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("polls", "expected"),
    [
        # No poll inside Monday 09:00-12:00 -> both polls are observations; 08:00 active,
        # 13:00 inactive -> switch 10:30: up 09:00-10:30 = 1.5 h, down 10:30-12:00 = 1.5 h.
        (
            [(U(2023, 1, 23, 8), ACTIVE), (U(2023, 1, 23, 13), INACTIVE)],
            ("0.00", "1.50", "1.50", "0.00", "1.50", "1.50"),
        ),
        # 11:00 inactive is inside -> the only observation; 08:00/13:00 active are ignored.
        (
            [
                (U(2023, 1, 23, 8), ACTIVE),
                (U(2023, 1, 23, 11), INACTIVE),
                (U(2023, 1, 23, 13), ACTIVE),
            ],
            ("0.00", "0.00", "0.00", "0.00", "3.00", "3.00"),
        ),
        # Decided over the whole span: Mon Jan 16 10:00 (in the span, before the week) is
        # inside -> only observation (inactive), although the day/week windows hold no in-hours
        # poll. Jan 23 09-12 all down.
        (
            [
                (U(2023, 1, 16, 10), INACTIVE),
                (U(2023, 1, 23, 8), ACTIVE),
                (U(2023, 1, 23, 13), ACTIVE),
            ],
            ("0.00", "0.00", "0.00", "0.00", "3.00", "3.00"),
        ),
        # start <= t < end: 09:00:00 inactive is inside, 12:00:00 active is not -> only
        # observation is 09:00 inactive -> all down.
        (
            [(U(2023, 1, 23, 9), INACTIVE), (U(2023, 1, 23, 12), ACTIVE)],
            ("0.00", "0.00", "0.00", "0.00", "3.00", "3.00"),
        ),
    ],
)
def test_observations(polls, expected):
    # Monday 09:00-12:00 UTC, as_of Mon Jan 23 14:00: h [13:00, 14:00] closed; d and w hold
    # only Jan 23 09:00-12:00 (Jan 16's shift ends before the week start Jan 16 14:00).
    as_of = U(2023, 1, 23, 14)
    stores = {"o": StoreMeta("UTC", WORKED_HOURS)}
    row = only_row(as_of, [("o", t, a) for t, a in polls], stores, "o")
    assert row == R("o", expected)


# --------------------------------------------------------------------------------------------
# 11. Lead-in day
# --------------------------------------------------------------------------------------------
def test_lead_in_day_polls_influence_week():
    # 24x7 stores, as_of Wed Jan 25 12:00: span from Jan 17 12:00, week from Jan 18 12:00.
    # "lead": Jan 18 00:00 inactive (lead-in), Jan 19 12:00 active -> switch Jan 18 18:00:
    #   w down Jan 18 12:00-18:00 = 6 h, up 168 - 6 = 162; d and h all up.
    # "nolead": only Jan 19 12:00 active -> all up.
    as_of = U(2023, 1, 25, 12)
    polls = [
        ("lead", U(2023, 1, 18), INACTIVE),
        ("lead", U(2023, 1, 19, 12), ACTIVE),
        ("nolead", U(2023, 1, 19, 12), ACTIVE),
    ]
    assert compute_report(as_of, polls, {}) == [
        R("lead", ("60.00", "24.00", "162.00", "0.00", "0.00", "6.00")),
        R("nolead", ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00")),
    ]


# --------------------------------------------------------------------------------------------
# 12. Span boundaries
# --------------------------------------------------------------------------------------------
def test_span_boundaries():
    # as_of Jan 25 12:00, span [Jan 17 12:00, Jan 25 12:00] inclusive; all stores 24x7.
    as_of = U(2023, 1, 25, 12)
    polls = [
        ("old", U(2023, 1, 17, 11, 59, 59, 999999), ACTIVE),  # 1 us before the span: left out
        ("new", U(2023, 1, 25, 12, 0, 0, 1), ACTIVE),  # 1 us after as_of: left out
        ("first", U(2023, 1, 17, 12), ACTIVE),  # exactly as_of - 8 d: in -> all up
        ("last", U(2023, 1, 25, 12), INACTIVE),  # exactly as_of: in -> all down
        # Out-of-span polls are not observations: only Jan 20 12:00 inactive counts -> all down
        # (with Jan 17 11:00 active counted, part of the week would be up).
        ("mixed", U(2023, 1, 17, 11), ACTIVE),
        ("mixed", U(2023, 1, 20, 12), INACTIVE),
        ("mixed", U(2023, 1, 25, 13), ACTIVE),
    ]
    stores = {"meta_only": StoreMeta("UTC", ())}  # in the mapping but never polled: left out
    assert compute_report(as_of, polls, stores) == [
        R("first", ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00")),
        R("last", ("0.00", "0.00", "0.00", "60.00", "24.00", "168.00")),
        R("mixed", ("0.00", "0.00", "0.00", "60.00", "24.00", "168.00")),
    ]


def test_store_with_polls_only_outside_span_is_left_out():
    as_of = U(2023, 1, 25, 12)
    polls = [("x", U(2023, 1, 1), ACTIVE), ("x", U(2023, 2, 1), INACTIVE)]
    assert compute_report(as_of, polls, {"x": StoreMeta("UTC", WORKED_HOURS)}) == []


# --------------------------------------------------------------------------------------------
# 13. A single poll holds over all business time
# --------------------------------------------------------------------------------------------
WEEKDAYS_9_17 = tuple((d, T(9), T(17)) for d in range(5))


@pytest.mark.parametrize(
    ("poll_at", "status", "expected"),
    [
        # Mon-Fri 09:00-17:00 UTC, as_of Wed Jan 25 12:00.
        # w [Wed Jan 18 12:00, Wed Jan 25 12:00]: Wed 18 12-17 = 5, Thu 8, Fri 8, Mon 8, Tue 8,
        #   Wed 25 09-12 = 3 -> 40 h. d [Tue 24 12:00, Wed 25 12:00]: 5 + 3 = 8 h. h: 60 min.
        (U(2023, 1, 25, 11, 30), INACTIVE, ("0.00", "0.00", "0.00", "60.00", "8.00", "40.00")),
        (U(2023, 1, 25, 11, 30), ACTIVE, ("60.00", "8.00", "40.00", "0.00", "0.00", "0.00")),
        # Poll outside hours (Sunday 22), or in the lead-in (Tue 17 13:00, before the week):
        # still the only observation.
        (U(2023, 1, 22, 10), ACTIVE, ("60.00", "8.00", "40.00", "0.00", "0.00", "0.00")),
        (U(2023, 1, 17, 13), INACTIVE, ("0.00", "0.00", "0.00", "60.00", "8.00", "40.00")),
    ],
)
def test_single_poll(poll_at, status, expected):
    as_of = U(2023, 1, 25, 12)
    stores = {"one": StoreMeta("UTC", WEEKDAYS_9_17)}
    assert only_row(as_of, [("one", poll_at, status)], stores, "one") == R("one", expected)


# --------------------------------------------------------------------------------------------
# 14. Rounding: exact value, half away from zero, 2 decimals
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("window", "up", "expected"),
    [
        # 24x7 store, as_of T = Jan 25 12:00. Polls active at m - 1 min, inactive at m + 1 min,
        # so the status switches at m; before it is up, after it is down.
        #
        # window "day": m = T - 24 h + up -> d up = up, d down = 24 h - up,
        #   w up = 144 h + up, w down = 24 h - up, h all down.
        # 7 min 30 s = 0.125 h -> 0.13 (not 0.12); 23.875 -> 23.88; 144.125 -> 144.13.
        (
            "day",
            timedelta(minutes=7, seconds=30),
            ("0.00", "0.13", "144.13", "60.00", "23.88", "23.88"),
        ),
        # 54 s = 0.015 h -> 0.02 (a float 0.015 is below the tie); 23.985 -> 23.99;
        # 144.015 -> 144.02.
        ("day", timedelta(seconds=54), ("0.00", "0.02", "144.02", "60.00", "23.99", "23.99")),
        # 3618 s = 1.005 h -> 1.01; 22.995 -> 23.00; 145.005 -> 145.01.
        ("day", timedelta(seconds=3618), ("0.00", "1.01", "145.01", "60.00", "23.00", "23.00")),
        # window "hour": m = T - 1 h + up -> h up = up, h down = 60 min - up,
        #   d up = 23 h + up, d down = 1 h - up, w up = 167 h + up, w down = 1 h - up.
        # 7.5 s = 0.125 min -> 0.13; 59.875 -> 59.88; d 23.00208 -> 23.00, 0.99792 -> 1.00.
        ("hour", timedelta(seconds=7.5), ("0.13", "23.00", "167.00", "59.88", "1.00", "1.00")),
        # 30 s = 0.5 min -> 0.50; 59.5 -> 59.50; d 23.00833 -> 23.01, 0.99167 -> 0.99.
        ("hour", timedelta(seconds=30), ("0.50", "23.01", "167.01", "59.50", "0.99", "0.99")),
        # 0.9 s = 0.015 min -> 0.02; 59.985 -> 59.99; d 23.00025 -> 23.00, 0.99975 -> 1.00.
        ("hour", timedelta(milliseconds=900), ("0.02", "23.00", "167.00", "59.99", "1.00", "1.00")),
        # 37.5 s = 0.625 min -> 0.63; 59.375 -> 59.38; d 23.01042 -> 23.01, 0.98958 -> 0.99.
        ("hour", timedelta(seconds=37.5), ("0.63", "23.01", "167.01", "59.38", "0.99", "0.99")),
    ],
)
def test_rounding_half_away_from_zero(window, up, expected):
    as_of = U(2023, 1, 25, 12)
    m = as_of - (timedelta(hours=24) if window == "day" else timedelta(hours=1)) + up
    polls = [("r", m - timedelta(minutes=1), ACTIVE), ("r", m + timedelta(minutes=1), INACTIVE)]
    assert only_row(as_of, polls, {}, "r") == R("r", expected)


def test_zero_prints_as_0_00():
    # One active poll, 24x7: all downtime values are exactly zero -> "0.00" (never "0", "-0.00").
    row = only_row(U(2023, 1, 25, 12), [("z", U(2023, 1, 25, 11), ACTIVE)], {}, "z")
    assert row == R("z", ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00"))
    for value in row[1:]:
        assert isinstance(value, str)
        whole, _, frac = value.partition(".")
        assert whole.isdigit() and len(frac) == 2


# --------------------------------------------------------------------------------------------
# 15. Duplicate polls: the later item wins
# --------------------------------------------------------------------------------------------
def test_duplicate_polls_later_wins():
    # 24x7, as_of T = Jan 25 12:00.
    # "dup": T-2h active, T active, T-2h inactive -> T-2h is inactive. Observations T-2h
    #   inactive, T active -> switch T-1h: h all up (60); d up 1 h, down 23 h; w up 1, down 167.
    # "dup2": the reverse at T-2h (inactive, then active) -> all up.
    as_of = U(2023, 1, 25, 12)
    t = as_of - timedelta(hours=2)
    polls = [
        ("dup", t, ACTIVE),
        ("dup2", t, INACTIVE),
        ("dup", as_of, ACTIVE),
        ("dup2", as_of, ACTIVE),
        ("dup", t, INACTIVE),
        ("dup2", t, ACTIVE),
    ]
    assert compute_report(as_of, polls, {}) == [
        R("dup", ("60.00", "1.00", "1.00", "0.00", "23.00", "167.00")),
        R("dup2", ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00")),
    ]


# --------------------------------------------------------------------------------------------
# 16. Sorting by Python str order
# --------------------------------------------------------------------------------------------
def test_rows_sorted_by_store_id_str_order():
    as_of = U(2023, 1, 25, 12)
    ids = ["a", "10", "B", "9", "b", "100"]
    polls = [(i, as_of, ACTIVE) for i in ids]
    rows = compute_report(as_of, polls, {})
    assert [r.store_id for r in rows] == ["10", "100", "9", "B", "a", "b"]
    assert all(r[1:] == ("60.00", "24.00", "168.00", "0.00", "0.00", "0.00") for r in rows)


# --------------------------------------------------------------------------------------------
# 17. Empty input
# --------------------------------------------------------------------------------------------
def test_empty_polls():
    assert compute_report(U(2023, 1, 25, 12), [], {}) == []
    assert compute_report(U(2023, 1, 25, 12), iter(()), {"s": StoreMeta("UTC", ())}) == []
