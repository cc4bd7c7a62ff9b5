"""Independent tests of the period-report definitions (SPEC.md, "Period reports").

Every expected value below is computed by hand from the specification, not from the
implementation; the comment next to each case shows the computation.  Conventions: instants
are UTC ("Z") unless marked otherwise; a row is (store_id, period_start, uptime_hours,
downtime_hours, uptime_percent).  For a store, S = local `first` 00:00, E = local (`last` + 1
day) 00:00, span = [S - 24 h, min(E, as_of)].  Zones used: America/New_York (EST = UTC-5, EDT
= UTC-4; DST 2023-03-12 02:00 -> 03:00, 2023-11-05 02:00 -> 01:00, 2024-03-10, 2024-11-03),
America/Chicago (the default, CST = UTC-6 in January), Europe/Berlin (CET = UTC+1, CEST =
UTC+2 from 2023-03-26), Asia/Beirut (UTC+2 / +3; 2023-03-26 00:00 -> 01:00, 2023-10-29 00:00
-> 2023-10-28 23:00), Asia/Kolkata (UTC+05:30), America/Los_Angeles (PST = UTC-8 in January).
Calendar: 2023-01-09, 2023-01-16, 2023-03-06 are Mondays; 2023-01-10 a Tuesday; 2023-01-13 a
Friday; 2023-03-01 a Wednesday.
"""

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from shared.uptime.model import PeriodRow, StoreMeta
from shared.uptime.periods import Range, compute_period_report, spans

ACTIVE = True
INACTIVE = False
Row = tuple[str, str, str, str, str]


def U(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    """An aware UTC instant."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def T(h: int, m: int = 0, s: int = 0) -> time:
    return time(h, m, s)


def D(y: int, mo: int, d: int) -> date:
    return date(y, mo, d)


def report(
    as_of: datetime,
    polls: list[tuple[str, datetime, bool]],
    stores: dict[str, StoreMeta],
    first: date,
    last: date,
    interval: str,
) -> list[Row]:
    rows = compute_period_report(as_of, polls, stores, Range(first, last, interval))
    assert isinstance(rows, list)
    assert all(isinstance(row, PeriodRow) for row in rows)
    # The figures; the `polls` column (the sixth) has its own cases below.
    return [tuple(row)[:5] for row in rows]  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# 1. Local days of 23 and 25 hours
# --------------------------------------------------------------------------------------------
def test_day_of_23_hours_new_york():
    # Range 2023-03-11 .. 2023-03-13 by day, 24x7, America/New_York.
    # Local midnights: Mar 11 00:00 EST = Mar 11 05:00Z; Mar 12 00:00 EST = Mar 12 05:00Z;
    #   Mar 13 00:00 EDT = Mar 13 04:00Z; Mar 14 00:00 EDT = Mar 14 04:00Z.
    #   -> Mar 11 lasts 24 h, Mar 12 lasts 23 h, Mar 13 24 h.
    # Observations (24x7: every poll in the span): Mar 12 05:00Z active, Mar 12 15:00Z
    #   inactive -> switch at 10:00Z.
    # Mar 11: all before the first observation -> up 24 h, 100 %.
    # Mar 12: up 05:00Z-10:00Z = 5 h, down 10:00Z-Mar 13 04:00Z = 18 h;
    #   percent 5 / 23 = 21.739 -> 21.74.
    # Mar 13: down 24 h, 0 %.
    as_of = U(2023, 3, 20)
    polls = [("ny", U(2023, 3, 12, 5), ACTIVE), ("ny", U(2023, 3, 12, 15), INACTIVE)]
    stores = {"ny": StoreMeta("America/New_York")}
    assert report(as_of, polls, stores, D(2023, 3, 11), D(2023, 3, 13), "day") == [
        ("ny", "2023-03-11", "24.00", "0.00", "100.00"),
        ("ny", "2023-03-12", "5.00", "18.00", "21.74"),
        ("ny", "2023-03-13", "0.00", "24.00", "0.00"),
    ]


def test_day_of_25_hours_new_york():
    # Range 2023-11-04 .. 2023-11-06 by day, 24x7, America/New_York.
    # Midnights: Nov 4 00:00 EDT = Nov 4 04:00Z; Nov 5 00:00 EDT = Nov 5 04:00Z;
    #   Nov 6 00:00 EST = Nov 6 05:00Z; Nov 7 00:00 EST = Nov 7 05:00Z.
    #   -> Nov 4: 24 h, Nov 5: 25 h, Nov 6: 24 h.
    # Observations Nov 4 12:00Z active, Nov 5 12:00Z inactive -> switch Nov 5 00:00Z.
    # Nov 4: up 04:00Z-Nov 5 00:00Z = 20 h, down 00:00Z-04:00Z = 4 h; 20/24 = 83.333 -> 83.33.
    # Nov 5: down 25 h. Nov 6: down 24 h.
    as_of = U(2023, 11, 10)
    polls = [("ny", U(2023, 11, 4, 12), ACTIVE), ("ny", U(2023, 11, 5, 12), INACTIVE)]
    stores = {"ny": StoreMeta("America/New_York")}
    assert report(as_of, polls, stores, D(2023, 11, 4), D(2023, 11, 6), "day") == [
        ("ny", "2023-11-04", "20.00", "4.00", "83.33"),
        ("ny", "2023-11-05", "0.00", "25.00", "0.00"),
        ("ny", "2023-11-06", "0.00", "24.00", "0.00"),
    ]


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        # Spring: local 2023-03-26 00:00 does not exist (00:00 -> 01:00); read with the offset
        # before the jump (+02) -> Mar 25 22:00Z. Mar 25 = [Mar 24 22:00Z, Mar 25 22:00Z) = 24 h;
        # Mar 26 = [Mar 25 22:00Z, Mar 26 21:00Z) (Mar 27 00:00 +03) = 23 h.
        (D(2023, 3, 25), [("2023-03-25", "24.00"), ("2023-03-26", "23.00")]),
        # Autumn: 2023-10-29 00:00 +03 -> 2023-10-28 23:00 +02, so 23:00-24:00 on Oct 28 happens
        # twice. Oct 28 = [Oct 27 21:00Z (00:00 +03), Oct 28 22:00Z (Oct 29 00:00 +02)) = 25 h;
        # Oct 29 = [Oct 28 22:00Z, Oct 29 22:00Z) = 24 h.
        (D(2023, 10, 28), [("2023-10-28", "25.00"), ("2023-10-29", "24.00")]),
    ],
)
def test_beirut_days_around_a_change_at_midnight(first, expected):
    # 24x7, one active poll at S (in the span) -> every business instant is up.
    as_of = U(2023, 12, 1)
    polls = [("b", datetime.combine(first, T(0), UTC) - timedelta(hours=3), ACTIVE)]
    stores = {"b": StoreMeta("Asia/Beirut")}
    rows = report(as_of, polls, stores, first, first + timedelta(days=1), "day")
    assert rows == [("b", day, hours, "0.00", "100.00") for day, hours in expected]


# --------------------------------------------------------------------------------------------
# 2. Weeks and months clipped to the range, total
# --------------------------------------------------------------------------------------------
def test_week_clipped_at_both_ends():
    # Range Wed 2023-03-01 .. Tue 2023-03-07 by week -> periods Wed 03-01..Sun 03-05 and
    # Mon 03-06..Tue 03-07. Europe/Berlin (CET), open every day 09:00-17:00 (8 h a day).
    # Observations Wed 03-01 09:00Z (10:00 CET) active, Tue 03-07 09:00Z inactive (both in
    # hours, 6 days apart) -> switch halfway, Sat 03-04 09:00Z = 10:00 CET.
    # Week 1 (5 days, 40 h): Wed, Thu, Fri up 24 h; Sat up 09:00-10:00 = 1 h, down 7 h;
    #   Sun down 8 h -> up 25, down 15, 25/40 = 62.50 %.
    # Week 2 (2 days, 16 h): all down.
    as_of = U(2023, 3, 10)
    hours = tuple((day, T(9), T(17)) for day in range(7))
    polls = [("w", U(2023, 3, 1, 9), ACTIVE), ("w", U(2023, 3, 7, 9), INACTIVE)]
    stores = {"w": StoreMeta("Europe/Berlin", hours)}
    assert report(as_of, polls, stores, D(2023, 3, 1), D(2023, 3, 7), "week") == [
        ("w", "2023-03-01", "25.00", "15.00", "62.50"),
        ("w", "2023-03-06", "0.00", "16.00", "0.00"),
    ]


MONTH_POLLS = [("m", U(2023, 2, 20, 12), INACTIVE), ("m", U(2023, 3, 20, 12), ACTIVE)]
MONTH_STORES = {"m": StoreMeta("Europe/Berlin")}


def test_month_across_a_dst_change():
    # Range 2023-02-15 .. 2023-04-10 by month, Europe/Berlin, 24x7.
    # Periods: Feb 15-28 = [Feb 14 23:00Z, Feb 28 23:00Z) = 14 d = 336 h;
    #   March = [Feb 28 23:00Z, Mar 31 22:00Z) = 31 * 24 - 1 = 743 h (CEST from Mar 26);
    #   Apr 1-10 = [Mar 31 22:00Z, Apr 10 22:00Z) = 240 h.
    # Observations Feb 20 12:00Z inactive, Mar 20 12:00Z active -> 28 days apart, switch 14 days
    #   later, Mar 6 12:00Z.
    # Feb: all down (336 h). March: down Feb 28 23:00Z-Mar 6 12:00Z = 5 d 13 h = 133 h,
    #   up 743 - 133 = 610 h; 610 / 743 = 82.0996 -> 82.10. April: up 240 h.
    as_of = U(2023, 4, 15)
    assert report(as_of, MONTH_POLLS, MONTH_STORES, D(2023, 2, 15), D(2023, 4, 10), "month") == [
        ("m", "2023-02-15", "0.00", "336.00", "0.00"),
        ("m", "2023-03-01", "610.00", "133.00", "82.10"),
        ("m", "2023-04-01", "240.00", "0.00", "100.00"),
    ]


def test_total():
    # The same case as one period: up 610 + 240 = 850 h, down 336 + 133 = 469 h (1319 h =
    # 55 local days - 1 h); 850 / 1319 = 64.4428 -> 64.44. period_start is the range's first date.
    as_of = U(2023, 4, 15)
    assert report(as_of, MONTH_POLLS, MONTH_STORES, D(2023, 2, 15), D(2023, 4, 10), "total") == [
        ("m", "2023-02-15", "850.00", "469.00", "64.44"),
    ]


def test_total_cut_by_as_of():
    # Same, as_of = Mar 10 12:00Z: the total runs Feb 14 23:00Z .. Mar 10 12:00Z and the span
    # ends at as_of, so the Mar 20 active poll is not in it: the Feb 20 inactive poll is the
    # only observation -> all down: 336 h + (Feb 28 23:00Z .. Mar 10 12:00Z = 9 d 13 h = 229 h)
    # = 565 h, 0 %.
    as_of = U(2023, 3, 10, 12)
    assert report(as_of, MONTH_POLLS, MONTH_STORES, D(2023, 2, 15), D(2023, 4, 10), "total") == [
        ("m", "2023-02-15", "0.00", "565.00", "0.00"),
    ]
    # as_of = Mar 25 12:00Z (before the change to CEST):
    # both polls are in the span; down 336 + 133 = 469 h, up Mar 6 12:00Z .. Mar 25 12:00Z
    # = 19 d = 456 h; 456 / 925 = 49.2973 -> 49.30.
    as_of = U(2023, 3, 25, 12)
    assert report(as_of, MONTH_POLLS, MONTH_STORES, D(2023, 2, 15), D(2023, 4, 10), "total") == [
        ("m", "2023-02-15", "456.00", "469.00", "49.30"),
    ]


# --------------------------------------------------------------------------------------------
# 3. as_of: the period holding it, periods after it, ranges after it
# --------------------------------------------------------------------------------------------
NY_9_TO_5 = {"s": StoreMeta("America/New_York", tuple((d, T(9), T(17)) for d in range(7)))}
AS_OF_POLLS = [
    ("s", U(2023, 1, 11, 14, 30), ACTIVE),  # 09:30 EST
    ("s", U(2023, 1, 11, 16, 30), INACTIVE),  # 11:30 EST
    ("s", U(2023, 1, 11, 17, 40), ACTIVE),  # 12:40 EST: after as_of, ignored
]


def test_period_holding_as_of_counts_only_up_to_as_of():
    # New York (EST), open every day 09:00-17:00 EST = 14:00Z-22:00Z. Range Jan 10 .. Jan 12 by
    # day; as_of Jan 11 17:30Z = 12:30 EST.
    # Span [Jan 9 05:00Z, Jan 11 17:30Z]: the 17:40Z poll is not in it.
    # Observations 14:30Z active, 16:30Z inactive -> switch 15:30Z (10:30 EST).
    #   (Had the 17:40Z poll counted, the switch back at 17:05Z would add 25 min of uptime.)
    # Jan 10: 8 h of business, all before the first observation -> up 8, 100 %.
    # Jan 11 (holds as_of): business 09:00-12:30 EST only = 3.5 h: up 09:00-10:30 = 1.5,
    #   down 10:30-12:30 = 2; 1.5 / 3.5 = 42.857 -> 42.86.
    # Jan 12 starts (Jan 12 05:00Z) after as_of: no row.
    as_of = U(2023, 1, 11, 17, 30)
    assert report(as_of, AS_OF_POLLS, NY_9_TO_5, D(2023, 1, 10), D(2023, 1, 12), "day") == [
        ("s", "2023-01-10", "8.00", "0.00", "100.00"),
        ("s", "2023-01-11", "1.50", "2.00", "42.86"),
    ]


def test_period_holding_as_of_by_week():
    # Same data, range Jan 10 .. Jan 22 by week: periods Tue 10 - Sun 15 and Mon 16 - Sun 22.
    # The first holds as_of: Jan 10 (8 h up) + Jan 11 up to as_of (1.5 up, 2 down) ->
    # up 9.5, down 2; 9.5 / 11.5 = 82.608 -> 82.61. The second starts after as_of: no row.
    as_of = U(2023, 1, 11, 17, 30)
    assert report(as_of, AS_OF_POLLS, NY_9_TO_5, D(2023, 1, 10), D(2023, 1, 22), "week") == [
        ("s", "2023-01-10", "9.50", "2.00", "82.61"),
    ]


def test_period_starting_exactly_at_as_of_has_no_row():
    # as_of = Jan 12 05:00Z = Jan 12 00:00 EST, the start of the third day: it has no row.
    # Span ends at as_of and now holds the 17:40Z poll: observations 14:30Z active, 16:30Z
    # inactive, 17:40Z active -> up 14:00Z-15:30Z and 17:05Z-22:00Z = 1.5 + 4 h 55 min;
    # down 15:30Z-17:05Z = 1 h 35 min. Jan 11: up 6.416666 -> 6.42, down 1.583333 -> 1.58,
    # 6.416666 / 8 = 80.208 -> 80.21.
    as_of = U(2023, 1, 12, 5)
    assert report(as_of, AS_OF_POLLS, NY_9_TO_5, D(2023, 1, 10), D(2023, 1, 12), "day") == [
        ("s", "2023-01-10", "8.00", "0.00", "100.00"),
        ("s", "2023-01-11", "6.42", "1.58", "80.21"),
    ]
    # One microsecond later the third day has a row with no business time yet (empty percent).
    rows = report(
        as_of + timedelta(microseconds=1),
        AS_OF_POLLS,
        NY_9_TO_5,
        D(2023, 1, 10),
        D(2023, 1, 12),
        "day",
    )
    assert rows[-1] == ("s", "2023-01-12", "0.00", "0.00", "")
    assert len(rows) == 3


def test_range_starting_after_as_of_has_no_rows():
    # Range Jan 20 .. Jan 22 (New York): S = Jan 20 05:00Z, span [Jan 19 05:00Z, as_of].
    # as_of Jan 19 12:00Z: the poll at Jan 19 10:00Z is in the span, but every period starts
    # after as_of -> no rows. Also as_of long before the span (no poll in it) -> no rows.
    polls = [("s", U(2023, 1, 19, 10), ACTIVE)]
    stores = {"s": StoreMeta("America/New_York")}
    for interval in ("day", "week", "month", "total"):
        assert (
            report(U(2023, 1, 19, 12), polls, stores, D(2023, 1, 20), D(2023, 1, 22), interval)
            == []
        )
        assert report(U(2023, 1, 10), polls, stores, D(2023, 1, 20), D(2023, 1, 22), interval) == []


HOURS_MON_FRI = tuple((day, T(9), T(17)) for day in range(5))


@pytest.mark.parametrize(
    ("as_of", "first", "last"),
    [
        # as_of Jan 19 12:00Z; ranges from 2 months to years after it: the span
        # [S - 24 h, min(E, as_of)] ends months before it starts -> empty, no rows.
        (U(2023, 1, 19, 12), D(2023, 3, 20), D(2023, 3, 26)),
        (U(2023, 1, 19, 12), D(2023, 6, 1), D(2023, 6, 30)),
        (U(2023, 1, 19, 12), D(2025, 1, 1), D(2025, 12, 31)),
        # The mirror: as_of years before the range (and before every poll).
        (U(2020, 1, 1), D(2023, 1, 16), D(2023, 1, 22)),
        # Ranges entirely before the first poll (Jan 19), as_of after them: polls are all after
        # E, none in the span [S - 24 h, E] -> no rows.
        (U(2023, 1, 19, 12), D(2022, 10, 1), D(2022, 10, 31)),
        (U(2023, 1, 19, 12), D(2022, 1, 1), D(2022, 12, 31)),
    ],
)
@pytest.mark.parametrize("interval", ["day", "week", "month", "total"])
def test_a_range_far_from_as_of_or_the_polls_has_no_rows(
    as_of: datetime, first: date, last: date, interval: str
) -> None:
    # Stores with business hours (their zone tables are built over the span) in zones on
    # both sides of UTC, one open 24x7; polls Jan 19 only.
    polls = [(s, U(2023, 1, 19, 10), ACTIVE) for s in ("ny", "kolkata", "beirut", "always")]
    stores = {
        "ny": StoreMeta("America/New_York", HOURS_MON_FRI),
        "kolkata": StoreMeta("Asia/Kolkata", ((0, T(22), T(2)),)),  # overnight
        "beirut": StoreMeta("Asia/Beirut", HOURS_MON_FRI),
        "always": StoreMeta(None),
    }
    assert report(as_of, polls, stores, first, last, interval) == []


def test_a_range_after_as_of_leaves_an_empty_span() -> None:
    # Midnights (UTC µs) of a range whose S is Mar 20 00:00Z, as_of Jan 19 12:00Z: the span
    # starts at S - 24 h = Mar 19 00:00Z and is empty (its end 1 µs before its start); as_of
    # inside the range cuts it there as before.
    us = 1_000_000
    start = int(U(2023, 3, 20).timestamp()) * us
    bounds = np.array([[start, start + 86_400 * us]], np.int64)
    lo, hi = spans(bounds, int(U(2023, 1, 19, 12).timestamp()) * us)
    assert (int(lo[0]), int(hi[0])) == (start - 86_400 * us, start - 86_400 * us - 1)
    lo, hi = spans(bounds, start + 3_600 * us)
    assert (int(lo[0]), int(hi[0])) == (start - 86_400 * us, start + 3_600 * us)


# --------------------------------------------------------------------------------------------
# 4. Overnight shifts split at local midnight
# --------------------------------------------------------------------------------------------
def test_overnight_shift_split_between_two_days():
    # No zone -> America/Chicago (CST = UTC-6). Friday 22:00-02:00: Fri Jan 13 22:00 CST =
    # Jan 14 04:00Z .. Sat 02:00 CST = Jan 14 08:00Z. Range Fri Jan 13 .. Sat Jan 14 by day:
    # Fri = [Jan 13 06:00Z, Jan 14 06:00Z) holds 04:00Z-06:00Z (2 h); Sat = [Jan 14 06:00Z,
    # Jan 15 06:00Z) holds 06:00Z-08:00Z (2 h) though Saturday has no rows of its own.
    # (The previous Friday's shift ends Jan 7 08:00Z, before the range.)
    # Observations Jan 14 04:30Z active, 07:00Z inactive -> switch 05:45Z.
    # Fri: up 04:00Z-05:45Z = 1.75, down 05:45Z-06:00Z = 0.25 -> 87.50 %. Sat: down 2 h.
    as_of = U(2023, 1, 20)
    polls = [("o", U(2023, 1, 14, 4, 30), ACTIVE), ("o", U(2023, 1, 14, 7), INACTIVE)]
    stores = {"o": StoreMeta(None, ((4, T(22), T(2)),))}
    assert report(as_of, polls, stores, D(2023, 1, 13), D(2023, 1, 14), "day") == [
        ("o", "2023-01-13", "1.75", "0.25", "87.50"),
        ("o", "2023-01-14", "0.00", "2.00", "0.00"),
    ]


def test_overnight_shift_into_the_spring_forward_day():
    # New York, Saturday 22:00-06:00: Sat Mar 11 22:00 EST = Mar 12 03:00Z .. Sun Mar 12 06:00
    # EDT = Mar 12 10:00Z (7 real hours). Local midnight Mar 12 = 05:00Z.
    # Sat Mar 11 holds 03:00Z-05:00Z = 2 h; Sun Mar 12 holds 05:00Z-10:00Z = 5 h.
    # One inactive poll at Mar 12 04:00Z (in hours) -> all down.
    as_of = U(2023, 3, 20)
    polls = [("o", U(2023, 3, 12, 4), INACTIVE)]
    stores = {"o": StoreMeta("America/New_York", ((5, T(22), T(6)),))}
    assert report(as_of, polls, stores, D(2023, 3, 11), D(2023, 3, 12), "day") == [
        ("o", "2023-03-11", "0.00", "2.00", "0.00"),
        ("o", "2023-03-12", "0.00", "5.00", "0.00"),
    ]


# --------------------------------------------------------------------------------------------
# 5. Zones east and west of UTC, same dates
# --------------------------------------------------------------------------------------------
def test_same_dates_east_and_west_of_utc():
    # Range Jan 10 .. Jan 10 by day, 24x7 both, the same polls:
    #   Jan 9 20:00Z active, Jan 10 10:00Z inactive, Jan 10 20:00Z active.
    # Kolkata (UTC+05:30): Jan 10 = [Jan 9 18:30Z, Jan 10 18:30Z]; span [Jan 8 18:30Z,
    #   Jan 10 18:30Z] -> the 20:00Z poll of Jan 10 is out of it. Switch at Jan 10 03:00Z:
    #   up 18:30Z-03:00Z = 8.5 h, down 03:00Z-18:30Z = 15.5 h; 8.5/24 = 35.4166 -> 35.42.
    # Los Angeles (UTC-8): Jan 10 = [Jan 10 08:00Z, Jan 11 08:00Z); span [Jan 9 08:00Z,
    #   Jan 11 08:00Z] holds all three polls: switches at Jan 10 03:00Z (down) and 15:00Z (up):
    #   down 08:00Z-15:00Z = 7 h, up 15:00Z-Jan 11 08:00Z = 17 h; 17/24 = 70.833 -> 70.83.
    as_of = U(2023, 1, 15)
    polls = [
        (store, moment, active)
        for store in ("east", "west")
        for moment, active in [
            (U(2023, 1, 9, 20), ACTIVE),
            (U(2023, 1, 10, 10), INACTIVE),
            (U(2023, 1, 10, 20), ACTIVE),
        ]
    ]
    stores = {"east": StoreMeta("Asia/Kolkata"), "west": StoreMeta("America/Los_Angeles")}
    assert report(as_of, polls, stores, D(2023, 1, 10), D(2023, 1, 10), "day") == [
        ("east", "2023-01-10", "8.50", "15.50", "35.42"),
        ("west", "2023-01-10", "17.00", "7.00", "70.83"),
    ]


# --------------------------------------------------------------------------------------------
# 6. Empty percent, lead-in polls, rounding
# --------------------------------------------------------------------------------------------
def test_empty_percent_when_a_period_has_no_business_time():
    # Europe/Berlin, open Mondays 09:00-17:00 only. Range Tue Jan 10 .. Wed Jan 11 by day: no
    # business time -> 0.00, 0.00 and an empty percent, a row for every period nonetheless
    # (the store has a poll in its span: Jan 10 12:00Z, outside hours, so the only observation).
    as_of = U(2023, 1, 20)
    polls = [("e", U(2023, 1, 10, 12), ACTIVE)]
    stores = {"e": StoreMeta("Europe/Berlin", ((0, T(9), T(17)),))}
    assert report(as_of, polls, stores, D(2023, 1, 10), D(2023, 1, 11), "day") == [
        ("e", "2023-01-10", "0.00", "0.00", ""),
        ("e", "2023-01-11", "0.00", "0.00", ""),
    ]
    # Monday Jan 16 seen at as_of 07:00Z = 08:00 CET: the day has begun, its hours have not.
    # The span [Jan 14 23:00Z, Jan 16 07:00Z] needs a poll: Jan 16 06:00Z inactive.
    polls = [("e", U(2023, 1, 16, 6), INACTIVE)]
    assert report(U(2023, 1, 16, 7), polls, stores, D(2023, 1, 16), D(2023, 1, 17), "total") == [
        ("e", "2023-01-16", "0.00", "0.00", ""),
    ]
    # By 12:00 CET (11:00Z) it has 3 h of business time, all down: percent 0.00, not empty.
    assert report(U(2023, 1, 16, 11), polls, stores, D(2023, 1, 16), D(2023, 1, 17), "total") == [
        ("e", "2023-01-16", "0.00", "3.00", "0.00"),
    ]


def test_polls_only_in_the_lead_in():
    # New York 24x7, range Jan 10 .. Jan 11: S = Jan 10 05:00Z, span [Jan 9 05:00Z, E].
    # The only poll, Jan 9 05:00Z (exactly S - 24 h, inside the span), inactive -> both days
    # all down.
    as_of = U(2023, 1, 20)
    stores = {"l": StoreMeta("America/New_York")}
    polls = [("l", U(2023, 1, 9, 5), INACTIVE)]
    assert report(as_of, polls, stores, D(2023, 1, 10), D(2023, 1, 11), "day") == [
        ("l", "2023-01-10", "0.00", "24.00", "0.00"),
        ("l", "2023-01-11", "0.00", "24.00", "0.00"),
    ]
    # One microsecond earlier the poll is outside the span: no rows at all.
    polls = [("l", U(2023, 1, 9, 4, 59, 59, 999_999), INACTIVE)]
    assert report(as_of, polls, stores, D(2023, 1, 10), D(2023, 1, 11), "day") == []


def test_lead_in_polls_outside_hours_are_the_observations():
    # New York, open Tuesdays 09:00-17:00 EST (14:00Z-22:00Z). Range Tue Jan 10 by day.
    # Polls Mon Jan 9 12:00Z active (lead-in, closed hours) and Jan 11 12:00Z inactive (after
    # E = Jan 11 05:00Z: outside the span). No poll of the span is in hours -> all polls of the
    # span are the observations: the Monday one alone -> Tuesday's 8 h all up.
    as_of = U(2023, 1, 20)
    stores = {"l": StoreMeta("America/New_York", ((1, T(9), T(17)),))}
    polls = [("l", U(2023, 1, 9, 12), ACTIVE), ("l", U(2023, 1, 11, 12), INACTIVE)]
    assert report(as_of, polls, stores, D(2023, 1, 10), D(2023, 1, 10), "day") == [
        ("l", "2023-01-10", "8.00", "0.00", "100.00"),
    ]


@pytest.mark.parametrize(
    ("inactive_at", "expected"),
    [
        # UTC, 24x7, day Jan 10 = [Jan 10 00:00Z, Jan 11 00:00Z) = 24 h; active at 00:00Z.
        # Inactive at Jan 11 00:00Z (= E, the span is closed: it counts) -> switch 12:00Z:
        # up 12, down 12, 50 %.
        (U(2023, 1, 11), ("12.00", "12.00", "50.00")),
        # Inactive at Jan 10 21:20Z -> switch 10:40Z: up 10 h 40 min = 10.6666 -> 10.67,
        # down 13 h 20 min = 13.3333 -> 13.33; 10.6666 / 24 = 44.444 -> 44.44.
        (U(2023, 1, 10, 21, 20), ("10.67", "13.33", "44.44")),
    ],
)
def test_hours_rounding(inactive_at, expected):
    as_of = U(2023, 1, 20)
    polls = [("r", U(2023, 1, 10), ACTIVE), ("r", inactive_at, INACTIVE)]
    rows = report(as_of, polls, {"r": StoreMeta("UTC")}, D(2023, 1, 10), D(2023, 1, 10), "day")
    assert rows == [("r", "2023-01-10", *expected)]


def test_uptime_percent_rounding():
    stores = {"r": StoreMeta("UTC")}
    as_of = U(2023, 1, 20)
    day = D(2023, 1, 10)
    # 2/3: UTC, 24x7, day Jan 10. Active Jan 10 08:00Z, inactive Jan 11 00:00Z (= E, in the
    # closed span) -> switch 16:00Z: up 00:00Z-16:00Z = 16 h (the first observation holds
    # before it), down 8 h; 16 / 24 = 66.666 -> 66.67.
    polls = [("r", U(2023, 1, 10, 8), ACTIVE), ("r", U(2023, 1, 11), INACTIVE)]
    assert report(as_of, polls, stores, day, day, "day") == [
        ("r", "2023-01-10", "16.00", "8.00", "66.67")
    ]
    # 1/3: the same with the statuses swapped -> 33.333 -> 33.33.
    polls = [("r", U(2023, 1, 10, 8), INACTIVE), ("r", U(2023, 1, 11), ACTIVE)]
    assert report(as_of, polls, stores, day, day, "day") == [
        ("r", "2023-01-10", "8.00", "16.00", "33.33")
    ]
    # An exact half: up 10,666.08 s of 86,400 s -> 12.345 % exactly -> 12.35 (half away from
    # zero; half-to-even would give 12.34). Active at 00:00Z, inactive at 05:55:32.16Z -> switch
    # at 02:57:46.08Z. Hours: up 2.9628 -> 2.96, down 21.0372 -> 21.04.
    polls = [("r", U(2023, 1, 10), ACTIVE), ("r", U(2023, 1, 10, 5, 55, 32, 160_000), INACTIVE)]
    assert report(as_of, polls, stores, day, day, "day") == [
        ("r", "2023-01-10", "2.96", "21.04", "12.35")
    ]
    # The percent comes from the exact values, not from the rounded hours: Monday 12:00:00 -
    # 12:00:36 only (36 s); active 12:00:00, inactive 12:00:28.8 -> switch 12:00:14.4:
    # up 14.4 s = 0.004 h -> 0.00, down 21.6 s = 0.006 h -> 0.01; percent 14.4 / 36 = 40.00
    # (from the rounded hours it would be 0.00).
    stores = {"r": StoreMeta("UTC", ((0, T(12), T(12, 0, 36)),))}
    polls = [("r", U(2023, 1, 9, 12), ACTIVE), ("r", U(2023, 1, 9, 12, 0, 28, 800_000), INACTIVE)]
    assert report(as_of, polls, stores, D(2023, 1, 9), D(2023, 1, 9), "day") == [
        ("r", "2023-01-09", "0.00", "0.01", "40.00")
    ]


# --------------------------------------------------------------------------------------------
# 7. A 366-date range by month
# --------------------------------------------------------------------------------------------
def test_366_dates_by_month_2024():
    # 2024-01-01 .. 2024-12-31 is 366 dates (leap year) and 12 calendar months -> 12 rows.
    # New York, 24x7. Month lengths in local hours: Jan 744, Feb 696 (29 d), Mar 743 (DST
    # Mar 10), Apr 720, May 744, Jun 720, Jul 744, Aug 744, Sep 720, Oct 744, Nov 721 (Nov 3
    # fall back), Dec 744 (sum 8784 = 366 * 24).
    # Observations Jun 30 04:00Z active, Jul 2 04:00Z inactive -> switch Jul 1 04:00Z = Jul 1
    # 00:00 EDT exactly: January-June all up, July-December all down.
    as_of = U(2025, 1, 10)
    polls = [("y", U(2024, 6, 30, 4), ACTIVE), ("y", U(2024, 7, 2, 4), INACTIVE)]
    stores = {"y": StoreMeta("America/New_York")}
    hours = [744, 696, 743, 720, 744, 720, 744, 744, 720, 744, 721, 744]
    assert report(as_of, polls, stores, D(2024, 1, 1), D(2024, 12, 31), "month") == [
        ("y", f"2024-{m:02d}-01", f"{h}.00", "0.00", "100.00")
        if m <= 6
        else ("y", f"2024-{m:02d}-01", "0.00", f"{h}.00", "0.00")
        for m, h in enumerate(hours, start=1)
    ]


def test_366_dates_by_month_not_starting_on_the_first():
    # 2023-03-15 .. 2024-03-14 is 366 dates (it holds 2024-02-29) and touches 13 calendar
    # months: Mar 15-31 2023 (17 d = 408 h, after the Mar 12 change), Apr 720, May 744,
    # Jun 720, Jul 744, Aug 744, Sep 720, Oct 744, Nov 721, Dec 744, Jan 744, Feb 696,
    # Mar 1-14 2024 (14 d - 1 h = 335 h, DST on Mar 10) -> 13 rows. One active poll: all up.
    assert (D(2024, 3, 14) - D(2023, 3, 15)).days + 1 == 366
    as_of = U(2025, 1, 10)
    polls = [("y", U(2023, 6, 1), ACTIVE)]
    stores = {"y": StoreMeta("America/New_York")}
    starts = ["2023-03-15"] + [f"2023-{m:02d}-01" for m in range(4, 13)]
    starts += ["2024-01-01", "2024-02-01", "2024-03-01"]
    hours = [408, 720, 744, 720, 744, 744, 720, 744, 721, 744, 744, 696, 335]
    rows = report(as_of, polls, stores, D(2023, 3, 15), D(2024, 3, 14), "month")
    assert len(rows) == 13
    assert rows == [
        ("y", s, f"{h}.00", "0.00", "100.00") for s, h in zip(starts, hours, strict=True)
    ]


# --------------------------------------------------------------------------------------------
# 8. Several stores: order, defaults, duplicates
# --------------------------------------------------------------------------------------------
def test_rows_ordered_by_store_then_period_and_later_duplicate_wins():
    # Byte order of store_id ("10" < "9" < "a"), then period_start. Store "9" is missing from
    # the mapping: America/Chicago, 24x7. Store "a" has two polls at the same instant: the later
    # item (inactive) wins. Range Jan 10 .. Jan 11 by day; CST: Jan 10 = [06:00Z, Jan 11 06:00Z).
    as_of = U(2023, 1, 20)
    at = U(2023, 1, 10, 12)
    polls = [
        ("a", at, ACTIVE),
        ("9", at, ACTIVE),
        ("10", at, INACTIVE),
        ("a", at, INACTIVE),
    ]
    rows = report(as_of, polls, {}, D(2023, 1, 10), D(2023, 1, 11), "day")
    assert rows == [
        ("10", "2023-01-10", "0.00", "24.00", "0.00"),
        ("10", "2023-01-11", "0.00", "24.00", "0.00"),
        ("9", "2023-01-10", "24.00", "0.00", "100.00"),
        ("9", "2023-01-11", "24.00", "0.00", "100.00"),
        ("a", "2023-01-10", "0.00", "24.00", "0.00"),
        ("a", "2023-01-11", "0.00", "24.00", "0.00"),
    ]
