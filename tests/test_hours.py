"""Zone offset tables and business intervals against the one-instant-at-a-time conversion."""

import random
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from shared.instants import US_PER_DAY, to_us
from shared.uptime.hours import StoreHours, ZoneOffsets, business_intervals
from shared.uptime.localtime import local_to_utc_us, zone
from shared.uptime.model import StoreMeta

EPOCH = date(1970, 1, 1)


@pytest.mark.parametrize(
    ("zone_name", "around"),
    [
        ("America/New_York", date(2023, 3, 12)),
        ("America/New_York", date(2023, 11, 5)),
        ("Europe/Berlin", date(2023, 3, 26)),
        ("Europe/Berlin", date(2023, 10, 29)),
        ("Australia/Sydney", date(2023, 4, 2)),
        ("Australia/Lord_Howe", date(2023, 4, 2)),  # a 30-minute DST shift
        ("America/St_Johns", date(2023, 11, 5)),
        ("Asia/Kolkata", date(2023, 1, 1)),
        ("UTC", date(2023, 1, 1)),
    ],
)
def test_table_matches_fold_by_fold_conversion(zone_name: str, around: date) -> None:
    tz = zone(zone_name)
    start = (around - timedelta(days=3) - EPOCH).days * US_PER_DAY
    table = ZoneOffsets(tz, start, start + 6 * US_PER_DAY)
    rng = random.Random(zone_name + str(around))
    # Every minute of the transition day, then random microsecond instants around it.
    minutes = [(around, time(m // 60, m % 60)) for m in range(24 * 60)] + [
        (
            around + timedelta(days=rng.randint(-2, 2)),
            time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(10**6)),
        )
        for _ in range(2000)
    ]
    local = np.array(
        [
            (d - EPOCH).days * US_PER_DAY
            + (t.hour * 3600 + t.minute * 60 + t.second) * 10**6
            + t.microsecond
            for d, t in minutes
        ],
        dtype=np.int64,
    )
    expected = [local_to_utc_us(tz, d, t) for d, t in minutes]
    assert table.to_utc(local).tolist() == expected


def test_spec_vector_through_the_table() -> None:
    # Europe/Berlin 2023-03-26 02:30 (in the gap) → 01:30Z.
    tz = zone("Europe/Berlin")
    day = (date(2023, 3, 26) - EPOCH).days
    table = ZoneOffsets(tz, (day - 2) * US_PER_DAY, (day + 2) * US_PER_DAY)
    local = np.array([day * US_PER_DAY + int(2.5 * 3600e6)], dtype=np.int64)
    assert table.to_utc(local)[0] == to_us(datetime(2023, 3, 26, 1, 30, tzinfo=UTC))


def test_intervals_merge_overlaps_and_join_touching_rows() -> None:
    # Monday 2023-01-23 in UTC: 09:00-12:00, 11:00-13:00 and 13:00-14:00 → one 09:00-14:00.
    metas = [
        StoreMeta(
            "UTC", ((0, time(9), time(12)), (0, time(11), time(13)), (0, time(13), time(14)))
        ),
        StoreMeta(),  # no rows: open over the whole span
    ]
    span_start = to_us_date(date(2023, 1, 16))
    span_end = to_us_date(date(2023, 1, 24))
    found = business_intervals(
        StoreHours.from_metas(metas),
        np.array([span_start, span_start + 5]),  # each store its own span
        np.array([span_end, span_end - 5]),
    )
    monday = to_us_date(date(2023, 1, 23))
    hour = 3_600_000_000
    assert found.owner.tolist() == [0, 0, 1]
    assert list(zip(found.start.tolist(), found.end.tolist(), strict=True)) == [
        (span_start + 9 * hour, span_start + 14 * hour),  # Monday 2023-01-16, the first day
        (monday + 9 * hour, monday + 14 * hour),
        (span_start + 5, span_end - 5 + 1),  # the span holds its last instant
    ]


def test_overnight_rows_are_clipped_to_each_stores_span() -> None:
    """Sunday 22:00 → Monday 02:00 (UTC), a span from Monday 01:00: the shift from the day
    before the span runs into it and is cut at its start."""
    metas = [StoreMeta("UTC", ((6, time(22), time(2)),))]
    monday = to_us_date(date(2023, 1, 23))
    hour = 3_600_000_000
    found = business_intervals(
        StoreHours.from_metas(metas), np.array([monday + hour]), np.array([monday + 30 * hour])
    )
    assert list(zip(found.start.tolist(), found.end.tolist(), strict=True)) == [
        (monday + hour, monday + 2 * hour)
    ]


def to_us_date(d: date) -> int:
    return (d - EPOCH).days * US_PER_DAY


def test_a_table_with_its_end_before_its_start_holds_the_offset_at_its_start() -> None:
    # Kolkata is UTC+05:30 all year: whatever the bounds, local 12:00 reads 06:30Z.
    start = to_us(datetime(2023, 3, 19, tzinfo=UTC))
    table = ZoneOffsets(zone("Asia/Kolkata"), start, start - 60 * US_PER_DAY)
    offset = (5 * 60 + 30) * 60 * 1_000_000
    assert table.at_utc(np.array([start], np.int64)).tolist() == [offset]
    noon = start + 12 * 3_600_000_000  # local 12:00 as if it were UTC
    assert table.to_utc(np.array([noon], np.int64)).tolist() == [noon - offset]
