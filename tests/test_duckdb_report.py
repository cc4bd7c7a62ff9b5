"""The benchmark's one-query DuckDB reports (bench/duckdb_report.py) against the spec.

- the local → UTC conversion: the spec's test vectors, and every quarter hour of the DST
  transition days of 2022-2024 in the generator's zones against the spec's zoneinfo rule;
- the standard report: identical rows to `shared.uptime.compute_report` on generated data (a
  January week and weeks holding DST changes) and on the hand-made cases of tests/sample.py;
- the period report: hand-computed cases (comments show the computation; instants are UTC
  unless marked EST/EDT/IST). Calendar: 2023-01-20 is a Friday, 2023-01-09 and 2023-01-16
  are Mondays, 2023-03-12 and 2023-11-05 are the US DST Sundays (New York: EST = UTC-5,
  EDT = UTC-4), Asia/Kolkata is IST = UTC+5:30 all year.
"""

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from bench.duckdb_report import load, local_to_utc, period_report, standard_report
from sampledata.generate import generate_dataset
from shared.uptime import StoreMeta, compute_report
from tests.sample import AS_OF as SAMPLE_AS_OF
from tests.sample import EXPECTED as SAMPLE_EXPECTED
from tests.sample import SAMPLE_POLLS


def U(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


# --------------------------------------------------------------------------------------------
# Local → UTC


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        ("Europe/Berlin", datetime(2023, 3, 26, 2, 30), U(2023, 3, 26, 1, 30)),
        ("America/Chicago", datetime(2023, 3, 12, 2, 30), U(2023, 3, 12, 8, 30)),
        ("Australia/Sydney", datetime(2023, 4, 2, 2, 30), U(2023, 4, 1, 16, 30)),
        ("America/New_York", datetime(2023, 11, 5, 1, 30), U(2023, 11, 5, 6, 30)),
    ],
)
def test_spec_dst_vectors(con, zone, local, utc):
    assert local_to_utc(con, zone, local) == utc


ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Boise",
    "America/Detroit",
    "Asia/Beirut",
    "Europe/Berlin",
    "Europe/London",
    "Australia/Sydney",
    "America/Indiana/Indianapolis",
    "Pacific/Honolulu",
    "America/Anchorage",
    "Asia/Kolkata",
    "America/St_Johns",
    "UTC",
]


def spec_local_to_utc(zone: str, local: datetime) -> datetime:
    """The spec's rule with zoneinfo: fold=0 in a gap, fold=1 otherwise (the later occurrence)."""
    z = ZoneInfo(zone)
    early = local.replace(tzinfo=z, fold=0)
    in_gap = early.astimezone(UTC).astimezone(z).replace(tzinfo=None) != local
    return local.replace(tzinfo=z, fold=0 if in_gap else 1).astimezone(UTC)


def test_conversion_on_transition_days(con):
    """Every quarter hour of every day around an offset change, 2022-2024."""
    cases = []
    for zone in ZONES:
        z = ZoneInfo(zone)
        d = date(2022, 1, 1)
        while d < date(2025, 1, 1):
            a = datetime(d.year, d.month, d.day, tzinfo=z).utcoffset()
            nd = d + timedelta(days=1)
            if a != datetime(nd.year, nd.month, nd.day, tzinfo=z).utcoffset():
                for k in range(3 * 96):
                    local = datetime(d.year, d.month, d.day) + timedelta(minutes=15 * k - 24 * 60)
                    cases.append((zone, local, spec_local_to_utc(zone, local)))
            d = nd
    assert len(cases) > 10_000
    got = con.execute(
        "SELECT epoch_us(timezone(z, l)) FROM (SELECT unnest($z) AS z, unnest($l) AS l)",
        {"z": [c[0] for c in cases], "l": [c[1] for c in cases]},
    ).fetchall()
    wrong = [
        (zone, local, utc, g)
        for (zone, local, utc), (g,) in zip(cases, got, strict=True)
        if datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=g) != utc
    ]
    assert wrong == []
    # the same expression the queries use
    assert local_to_utc(con, cases[0][0], cases[0][1]) == cases[0][2]


# --------------------------------------------------------------------------------------------
# Standard report: the same rows as shared.uptime.compute_report


def read_inputs(d: Path) -> tuple[list[tuple[str, datetime, bool]], dict[str, StoreMeta]]:
    """The generated files as compute_report's plain values (the generator's formats only)."""
    polls = []
    with open(d / "store_status.csv", newline="") as f:
        for r in csv.DictReader(f):
            ts = r["timestamp_utc"].strip().removesuffix(" UTC")
            at = datetime.fromisoformat(ts).replace(tzinfo=UTC)
            polls.append((r["store_id"].strip(), at, r["status"].strip().lower() == "active"))
    hours: dict[str, list[tuple[int, time, time]]] = {}
    with open(d / "menu_hours.csv", newline="") as f:
        for r in csv.DictReader(f):
            day = int(r["day"] if "day" in r else r["dayOfWeek"])
            a = time.fromisoformat(r["start_time_local"].strip())
            b = time.fromisoformat(r["end_time_local"].strip())
            hours.setdefault(r["store_id"].strip(), []).append((day, a, b))
    zones: dict[str, str | None] = {}
    with open(d / "timezones.csv", newline="") as f:
        for r in csv.DictReader(f):
            zones[r["store_id"].strip()] = r["timezone_str"].strip() or None
    stores = {i: StoreMeta(zones.get(i), tuple(hours.get(i, ()))) for i in set(hours) | set(zones)}
    return polls, stores


def compare_standard(d: Path, as_of: datetime | None = None) -> int:
    polls, stores = read_inputs(d)
    if as_of is None:
        as_of = max(p[1] for p in polls)
    expected = [tuple(r) for r in compute_report(as_of, polls, stores)]
    c = duckdb.connect()
    load(c, d)
    got = standard_report(c, as_of)
    assert [r[0] for r in got] == [r[0] for r in expected]
    differ = [(e, g) for e, g in zip(expected, got, strict=True) if e != g]
    assert differ == []
    return len(got)


def test_standard_report_generated(tmp_path):
    generate_dataset(tmp_path, stores=300, days=8.5, seed=3)
    assert compare_standard(tmp_path) == 300


@pytest.mark.parametrize(
    "end",
    [
        U(2023, 3, 14, 5),  # US spring forward in the week
        U(2023, 11, 5, 7, 10),  # as_of just after the US fall back
        U(2023, 4, 4, 3),  # Sydney's fall back, Berlin/London/Beirut's spring forward
    ],
)
def test_standard_report_generated_dst_weeks(tmp_path, end):
    generate_dataset(tmp_path, stores=600, days=8.5, seed=11, end=end)
    assert compare_standard(tmp_path) == 600
    # an as_of that is not a poll: the hour window starts inside the data
    compare_standard(tmp_path, end - timedelta(hours=30, minutes=7, microseconds=3))


def write_files(d: Path, polls: str, hours: str, zones: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "store_status.csv").write_text("store_id,status,timestamp_utc\n" + polls)
    (d / "menu_hours.csv").write_text("store_id,day,start_time_local,end_time_local\n" + hours)
    (d / "timezones.csv").write_text("store_id,timezone_str\n" + zones)
    return d


def test_standard_report_sample(tmp_path):
    """tests/sample.py's files (as load_sample writes them) and its hand-computed CSV."""
    d = write_files(tmp_path, SAMPLE_POLLS, "s1,0,09:00:00,12:00:00\n", "s1,UTC\n")
    c = duckdb.connect()
    load(c, d)
    as_of = datetime.fromisoformat(SAMPLE_AS_OF.replace("Z", "+00:00"))
    got = standard_report(c, as_of)
    assert "".join(",".join(r) + "\n" for r in got) == SAMPLE_EXPECTED.split("\n", 1)[1]
    compare_standard(d, as_of)


def test_load_parsing_rules(tmp_path):
    """Trimmed ids, any-case status, later line wins for a repeated poll and a repeated zone,
    `dayOfWeek`, columns in any order."""
    d = tmp_path
    (d / "store_status.csv").write_text(
        "timestamp_utc,status,store_id\n"
        "2023-01-23 10:00:00 UTC,active, a \n"
        "2023-01-23 11:00:00 UTC,INACTIVE,a\n"
        "2023-01-23 10:00:00.000000 UTC,Inactive,a\n"  # replaces the first line
    )
    (d / "menu_hours.csv").write_text(
        "store_id,dayOfWeek,start_time_local,end_time_local\n a ,0,09:00,12:00:00\n"
    )
    (d / "timezones.csv").write_text("store_id,timezone_str\na,Asia/Tokyo\na,UTC\n")
    c = duckdb.connect()
    load(c, d)
    assert c.execute("SELECT store_id FROM stores").fetchall() == [("a",)]
    assert c.execute("SELECT t, active FROM polls ORDER BY t").fetchall() == [
        (1674468000000000, False),
        (1674471600000000, False),
    ]
    assert c.execute("SELECT zone FROM zones").fetchall() == [("UTC",)]
    assert c.execute("SELECT day, start_t, end_t FROM hours").fetchall() == [(0, time(9), time(12))]
    # open Mon 09:00-12:00 UTC, all down
    assert standard_report(c, U(2023, 1, 23, 12)) == [
        ("a", "0.00", "0.00", "0.00", "60.00", "3.00", "3.00")
    ]


# --------------------------------------------------------------------------------------------
# Period reports, by hand


@pytest.fixture(scope="module")
def periods(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    polls = (
        # ny24: New York, 24x7, around the spring-forward day
        "ny24,active,2023-03-11 12:00:00 UTC\n"
        "ny24,inactive,2023-03-12 12:00:00 UTC\n"
        "ny24,active,2023-03-13 12:00:00 UTC\n"
        # ny25: New York, 24x7, around the fall-back day
        "ny25,active,2023-11-05 10:00:00 UTC\n"
        "ny25,inactive,2023-11-06 02:00:00 UTC\n"
        # nyfb: New York, Sunday 01:30-03:00 local (01:30 repeated on 2023-11-05)
        "nyfb,inactive,2023-11-05 06:20:00 UTC\n"  # outside hours: not an observation
        "nyfb,active,2023-11-05 07:00:00 UTC\n"
        "nyfb,inactive,2023-11-05 07:40:00 UTC\n"
        # night: Kolkata, Friday 22:00-02:00 local
        "night,active,2023-01-20 17:00:00 UTC\n"
        "night,inactive,2023-01-20 19:30:00 UTC\n"
        # wk: UTC, 24x7
        "wk,active,2023-01-05 12:00:00 UTC\n"
        "wk,inactive,2023-01-10 12:00:00 UTC\n"
        "wk,active,2023-01-16 05:00:00 UTC\n"
        # late: a poll after every as_of used below with its range
        "late,active,2023-12-01 00:00:00 UTC\n"
        # closed: Chicago (no zone), hours only Monday 09:00-10:00, polls only outside them
        "closed,inactive,2023-01-21 15:00:00 UTC\n"
        "closed,active,2023-01-21 23:00:00 UTC\n"
    )
    hours = "nyfb,6,01:30:00,03:00:00\nnight,4,22:00:00,02:00:00\nclosed,0,09:00:00,10:00:00\n"
    zones = "ny24,America/New_York\nny25,America/New_York\nnyfb,America/New_York\n"
    zones += "night,Asia/Kolkata\nwk,UTC\nlate,UTC\n"
    d = write_files(tmp_path_factory.mktemp("periods"), polls, hours, zones)
    c = duckdb.connect()
    load(c, d)
    return c


def test_period_spring_forward_day(periods):
    # Days are local: 03-11 = [11 05:00, 12 05:00) 24 h; 03-12 = [12 05:00, 13 04:00) 23 h;
    # 03-13 = [13 04:00, 14 04:00) 24 h. Switches at midpoints 12 00:00 (to down) and 13 00:00
    # (to up). 03-11: up 05:00-24:00 = 19 h, down 5 h, 79.17 %. 03-12: down 05:00 -> 13 00:00
    # = 19 h, up 4 h, 4/23 = 17.39 %. 03-13: up 24 h.
    got = period_report(periods, date(2023, 3, 11), date(2023, 3, 13), "day", U(2023, 3, 20))
    assert got == [
        ("ny24", "2023-03-11", "19.00", "5.00", "79.17"),
        ("ny24", "2023-03-12", "4.00", "19.00", "17.39"),
        ("ny24", "2023-03-13", "24.00", "0.00", "100.00"),
    ]


def test_period_fall_back_day(periods):
    # ny25: 11-04 = [04 04:00, 05 04:00) 24 h; 11-05 = [05 04:00, 06 05:00) 25 h;
    # 11-06 = [06 05:00, 07 05:00) 24 h. Switch at the midpoint of 05 10:00 and 06 02:00 =
    # 05 18:00. 11-04 all up; 11-05 up 04:00-18:00 = 14 h, down 11 h, 56.00 %; 11-06 down 24 h.
    # nyfb: Sunday 11-05 01:30 (repeated: the later one, EST) = 06:30 to 03:00 EST = 08:00,
    # 1.5 h; 11-04 and 11-06 have no business time (empty percent). Observations 07:00 up and
    # 07:40 down (06:20 is outside hours): switch 07:20; up 50 min = 0.83, down 40 min = 0.67,
    # 50/90 = 55.56 %.
    got = period_report(periods, date(2023, 11, 4), date(2023, 11, 6), "day", U(2023, 11, 10))
    assert got == [
        ("ny25", "2023-11-04", "24.00", "0.00", "100.00"),
        ("ny25", "2023-11-05", "14.00", "11.00", "56.00"),
        ("ny25", "2023-11-06", "0.00", "24.00", "0.00"),
        ("nyfb", "2023-11-04", "0.00", "0.00", ""),
        ("nyfb", "2023-11-05", "0.83", "0.67", "55.56"),
        ("nyfb", "2023-11-06", "0.00", "0.00", ""),
    ]


def test_period_overnight_shift_split_between_days(periods):
    # Friday 01-20 22:00 IST = 16:30 to Saturday 02:00 IST = 20:30; local day 01-20 ends at
    # 18:30 (IST midnight). Switch at the midpoint of 17:00 and 19:30 = 18:15. 01-20: up
    # 16:30-18:15 = 1.75 h, down 18:15-18:30 = 0.25 h, 87.50 %; 01-21 (no rows of its own):
    # 18:30-20:30 down 2 h; 01-22: no business time.
    got = period_report(
        periods, date(2023, 1, 20), date(2023, 1, 22), "day", U(2023, 1, 25), ["night", "x"]
    )
    assert got == [
        ("night", "2023-01-20", "1.75", "0.25", "87.50"),
        ("night", "2023-01-21", "0.00", "2.00", "0.00"),
        ("night", "2023-01-22", "0.00", "0.00", ""),
    ]


def test_period_weeks_clipped_at_both_ends(periods):
    # 01-04 (Wed) .. 01-17 (Tue): periods 01-04..08, 01-09..15, 01-16..17. Switches at the
    # midpoints 01-08 00:00 (down) and 01-13 08:30 (up: 01-10 12:00 + 137 h / 2).
    # 01-04: 120 h, up 96 h, down 24 h, 80.00 %; 01-09: 168 h, down 01-09 -> 01-13 08:30 =
    # 104.5 h, up 63.5 h, 37.80 %; 01-16: 48 h up.
    got = period_report(
        periods, date(2023, 1, 4), date(2023, 1, 17), "week", U(2023, 1, 20), ["wk"]
    )
    assert got == [
        ("wk", "2023-01-04", "96.00", "24.00", "80.00"),
        ("wk", "2023-01-09", "63.50", "104.50", "37.80"),
        ("wk", "2023-01-16", "48.00", "0.00", "100.00"),
    ]


def test_period_holding_as_of(periods):
    # as_of 01-16 06:00: the week of 01-16 counts 6 h (all up after 01-13 08:30); the week of
    # 01-23 starts after as_of: no row. Same for days: 01-16 has 6 h, 01-17 no row.
    as_of = U(2023, 1, 16, 6)
    got = period_report(periods, date(2023, 1, 4), date(2023, 1, 24), "week", as_of, ["wk"])
    assert got == [
        ("wk", "2023-01-04", "96.00", "24.00", "80.00"),
        ("wk", "2023-01-09", "63.50", "104.50", "37.80"),
        ("wk", "2023-01-16", "6.00", "0.00", "100.00"),
    ]
    got = period_report(periods, date(2023, 1, 15), date(2023, 1, 17), "day", as_of, ["wk"])
    assert got == [
        ("wk", "2023-01-15", "24.00", "0.00", "100.00"),
        ("wk", "2023-01-16", "6.00", "0.00", "100.00"),
    ]


def test_period_total_and_month(periods):
    # total 01-04 .. 01-17 = 336 h: up 96 h + (01-13 08:30 -> 01-18 00:00 = 111.5 h) = 207.5 h,
    # down 128.5 h, 207.5 / 336 = 61.76 %.
    got = period_report(
        periods, date(2023, 1, 4), date(2023, 1, 17), "total", U(2023, 1, 20), ["wk", "late"]
    )
    assert got == [("wk", "2023-01-04", "207.50", "128.50", "61.76")]
    # months: 2022-12-30 .. 2023-01-10, as_of 01-08 12:00: 12-30..31 (48 h; the only
    # observation of the span [12-29, 01-08 12:00] is 01-05 12:00: all up) and 01-01 ..
    # 01-08 12:00 = 180 h up (the 01-10 poll is after as_of).
    got = period_report(
        periods, date(2022, 12, 30), date(2023, 1, 10), "month", U(2023, 1, 8, 12), ["wk"]
    )
    assert got == [
        ("wk", "2022-12-30", "48.00", "0.00", "100.00"),
        ("wk", "2023-01-01", "180.00", "0.00", "100.00"),
    ]


def test_period_observations_fall_back_to_all_polls(periods):
    # closed: Chicago (CST = UTC-6), Monday 09:00-10:00 = 15:00-16:00. Range 01-21 .. 01-23,
    # span [01-20 06:00, 01-24 06:00]: no poll inside hours, so both polls observe; the last
    # (01-21 23:00, active) holds on Monday 01-23: 1 h up.
    got = period_report(
        periods, date(2023, 1, 21), date(2023, 1, 23), "total", U(2023, 2, 1), ["closed"]
    )
    assert got == [("closed", "2023-01-21", "1.00", "0.00", "100.00")]
    # a store without a poll in the span has no rows; nor does a range wholly after as_of
    assert (
        period_report(periods, date(2023, 1, 21), date(2023, 1, 23), "day", U(2023, 2, 1), ["late"])
        == []
    )
    assert period_report(periods, date(2023, 3, 1), date(2023, 3, 2), "day", U(2023, 2, 1)) == []
