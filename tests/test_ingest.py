"""Ingest into the real PostgreSQL: upstream files, bad files, duplicates, replacement."""

from datetime import UTC, date, datetime, time
from pathlib import Path

import asyncpg
import pytest

from shared.db import polls
from shared.errors import FileRowError
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.ingest.metadata import read_timezones
from shared.instants import from_us
from shared.pollchunks import STORE_BLOCK, merge

ORIGINAL = Path(__file__).parent / "data" / "upstream"  # copies of the public upstream files


def write(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


async def polls_of(conn: asyncpg.Connection) -> list[tuple[str, datetime, bool]]:
    """The stored polls as a report reads them (the latest ingest wins an instant), sorted."""
    names = dict(await conn.fetch("SELECT id, store_id FROM stores"))
    found = []
    for block in await polls.blocks(conn):
        stored = await polls.read(
            conn, block * STORE_BLOCK, (block + 1) * STORE_BLOCK, date.min, date.max
        )
        for day in stored:
            merged = merge(day)
            found += [
                (names[key], from_us(us), bool(active))
                for key, us, active in zip(
                    merged.store.tolist(), merged.ts.tolist(), merged.active.tolist(), strict=True
                )
            ]
    return sorted(found)


async def stored_count(conn: asyncpg.Connection) -> int:
    """Polls in stored chunks (an instant held by two chunks counts twice)."""
    return int(await conn.fetchval("SELECT coalesce(sum(polls), 0) FROM poll_chunks"))


@pytest.mark.parametrize(
    ("kind", "relative", "rows"),
    [
        ("polls", "int_ids_2023/partial/store_status.csv", 5032),
        ("polls", "uuid_2024/partial/store_status.csv", 364),  # starts with a BOM
        ("hours", "int_ids_2023/Menu hours.csv", 86198),
        ("hours", "uuid_2024/menu_hours.csv", 35457),  # dayOfWeek column
        ("timezones", "int_ids_2023/bq-results-20230125-202210-1674678181880.csv", 13559),
        ("timezones", "uuid_2024/timezones.csv", 4559),  # no final newline
    ],
)
async def test_upstream_files_ingest_as_published(
    conn: asyncpg.Connection, kind: str, relative: str, rows: int
) -> None:
    path = ORIGINAL / relative
    if kind == "polls":
        stored, _ = await ingest_polls(conn, path)
        assert stored == await stored_count(conn) == rows
    elif kind == "hours":
        assert await ingest_hours(conn, path) == rows
        assert await conn.fetchval("SELECT count(*) FROM business_hours") == rows
    else:
        stored = await ingest_timezones(conn, path)
        assert stored == await conn.fetchval("SELECT count(*) FROM store_timezones")
        assert stored <= rows  # a store listed twice is kept once


async def test_bom_file_keeps_first_store_id_intact(conn: asyncpg.Connection) -> None:
    await ingest_polls(conn, ORIGINAL / "uuid_2024/partial/store_status.csv")
    assert await conn.fetchval(
        "SELECT count(*) FROM stores WHERE store_id = 'b5d0a65d-6d54-47aa-95e9-9312f0353326'"
    )


async def test_polls_columns_by_name_any_order_extra_ignored_ids_trimmed(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "s.csv",
        "timestamp_utc,extra,STATUS,store_id\n"
        "2023-01-22 12:09:39.388884 UTC,x,Active, 0042 \n"
        "2023-01-22T13:00:00+01:00,y,INACTIVE,abc\n"
        "2023-01-22 14:00:00,z,inactive,abc\n",
        bom=True,
    )
    assert await ingest_polls(conn, path) == (3, 2)
    assert await polls_of(conn) == [
        ("0042", datetime(2023, 1, 22, 12, 9, 39, 388884, UTC), True),  # never a number
        ("abc", datetime(2023, 1, 22, 12, 0, tzinfo=UTC), False),  # offset converted
        ("abc", datetime(2023, 1, 22, 14, 0, tzinfo=UTC), False),  # no zone: UTC
    ]


async def test_same_instant_later_line_then_later_file_wins(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    first = write(
        tmp_path,
        "a.csv",
        "store_id,status,timestamp_utc\n"
        "s,active,2023-01-22 12:00:00 UTC\n"
        "s,inactive,2023-01-22T12:00:00.000000Z\n"  # the same instant spelled differently
        "t,inactive,2023-01-22 12:00:00 UTC\n"
        "t,active,2023-01-22T14:00:00+02:00\n",
    )
    await ingest_polls(conn, first)
    noon = datetime(2023, 1, 22, 12, tzinfo=UTC)
    assert await polls_of(conn) == [("s", noon, False), ("t", noon, True)]
    second = write(
        tmp_path, "b.csv", "store_id,status,timestamp_utc\ns,active,2023-01-22 12:00 UTC\n"
    )
    await ingest_polls(conn, second)
    assert await polls_of(conn) == [("s", noon, True), ("t", noon, True)]


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("s,up,2023-01-22 12:00:00 UTC\n", 3, "bad status"),
        ("s,active,yesterday\n", 3, "unparseable timestamp_utc"),
        ("s,active,2023-01-22 25:00:00 UTC\n", 3, "unparseable timestamp_utc"),
        ("s,active,2023-02-30 12:00:00 UTC\n", 3, "unparseable timestamp_utc"),
        ("s,active,Jan 22 2023 12:00\n", 3, "unparseable timestamp_utc"),
        ("s,active,2023-01-22\n", 3, "unparseable timestamp_utc"),
        ("s,active,now\n", 3, "unparseable timestamp_utc"),
        ("s,active,\n", 3, "unparseable timestamp_utc"),
        ("  ,active,2023-01-22 12:00:00 UTC\n", 3, "empty store_id"),
        ("s,active\n", 3, "missing data"),
        ("s,active,2023-01-22 12:00:00 UTC,extra\n", 3, "extra data"),
    ],
)
async def test_malformed_polls_fail_whole_file_with_line(
    conn: asyncpg.Connection, tmp_path: Path, body: str, line: int, reason: str
) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "store_id,status,timestamp_utc\nok,active,2023-01-22 11:00:00 UTC\n"
        + body
        + "ok,inactive,2023-01-22 13:00:00 UTC\n",
    )
    with pytest.raises(FileRowError) as error:
        await ingest_polls(conn, path)
    assert (error.value.file, error.value.line) == ("bad.csv", line)
    assert reason in error.value.reason
    assert await stored_count(conn) == 0
    assert await conn.fetchval("SELECT count(*) FROM stores") == 0


async def test_missing_column_fails_at_header(conn: asyncpg.Connection, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "store_id,timestamp_utc\ns,2023-01-22 12:00:00 UTC\n")
    with pytest.raises(FileRowError, match=r"p\.csv, line 1: missing required column 'status'"):
        await ingest_polls(conn, path)


async def test_hours_replace_snapshot_and_parse_times(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await ingest_hours(
        conn,
        write(
            tmp_path, "h1.csv", "store_id,day,start_time_local,end_time_local\nold,0,09:00,17:00\n"
        ),
    )
    path = write(
        tmp_path,
        "h2.csv",
        "end_time_local,dayOfWeek,store_id,start_time_local\n"
        "02:00:00,6,a,22:00:00\n23:59:59.5,0, b ,00:00\n",
        bom=True,
    )
    assert await ingest_hours(conn, path) == 2
    rows = await conn.fetch(
        "SELECT store_id, day, start_local, end_local FROM business_hours ORDER BY 1"
    )
    assert [tuple(r) for r in rows] == [
        ("a", 6, time(22), time(2)),
        ("b", 0, time(0), time(23, 59, 59, 500000)),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("s,7,09:00:00,17:00:00", "bad day"),
        ("s,-1,09:00:00,17:00:00", "bad day"),
        ("s,1,25:00,17:00:00", "out of range"),
        ("s,1,09:00:00,9am", "bad local time"),
        (",1,09:00:00,17:00:00", "empty store_id"),
        ("s,1,09:00:00", "expected 4 fields"),
    ],
)
async def test_malformed_hours_fail_with_line_and_keep_old_snapshot(
    conn: asyncpg.Connection, tmp_path: Path, row: str, reason: str
) -> None:
    header = "store_id,day,start_time_local,end_time_local\n"
    await ingest_hours(conn, write(tmp_path, "good.csv", header + "old,0,09:00,17:00\n"))
    path = write(tmp_path, "hours.csv", header + "s,0,09:00,17:00\n" + row + "\n")
    with pytest.raises(FileRowError) as error:
        await ingest_hours(conn, path)
    assert (error.value.file, error.value.line) == ("hours.csv", 3)
    assert reason in error.value.reason
    assert await conn.fetchval("SELECT string_agg(store_id, ',') FROM business_hours") == "old"


async def test_timezones_later_line_wins_empty_is_no_zone_unknown_fails(
    conn: asyncpg.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "tz.csv",
        "store_id,timezone_str\na,Asia/Beirut\nb,\na,America/Denver",
    )
    assert await ingest_timezones(conn, path) == 2
    rows = await conn.fetch("SELECT store_id, timezone FROM store_timezones ORDER BY 1")
    assert [tuple(r) for r in rows] == [("a", "America/Denver"), ("b", None)]
    bad = write(tmp_path, "tz2.csv", "store_id,timezone_str\nc,UTC\nd,Mars/Olympus\n")
    with pytest.raises(FileRowError, match=r"tz2\.csv, line 3: unknown time zone 'Mars/Olympus'"):
        await ingest_timezones(conn, bad)
    assert await conn.fetchval("SELECT count(*) FROM store_timezones") == 2


# Every zone the upstream timezones files use (both exports, 18,118 stores), a few the data set
# does not, and IANA's old-style links, which the tzdata package lists too.
UPSTREAM_ZONES = [
    "America/Boise", "America/Chicago", "America/Denver", "America/Detroit", "America/Edmonton",
    "America/Indiana/Indianapolis", "America/Los_Angeles", "America/New_York", "America/Phoenix",
    "Asia/Beirut", "Pacific/Honolulu",
]  # fmt: skip
ACCEPTED_ZONES = [
    *UPSTREAM_ZONES, "UTC", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
    "US/Pacific", "US/Eastern", "Asia/Calcutta", "GMT", "EST5EDT",
]  # fmt: skip


def test_iana_zone_names_and_links_are_accepted(tmp_path: Path) -> None:
    rows = "".join(f"s{n}, {zone} \n" for n, zone in enumerate(ACCEPTED_ZONES))
    path = write(tmp_path, "tz.csv", "store_id,timezone_str\n" + rows)
    assert read_timezones(path) == {f"s{n}": zone for n, zone in enumerate(ACCEPTED_ZONES)}


@pytest.mark.parametrize(
    ("zone", "why"),
    [
        # What the host's zoneinfo directory holds besides zones: ZoneInfo() loads them.
        ("localtime", "not an IANA time zone name"),  # the host's own zone, whatever it is
        ("posixrules", "not an IANA time zone name"),
        ("/etc/localtime", "not an IANA time zone name"),
        ("../zoneinfo/UTC", "not an IANA time zone name"),
        ("right/UTC", "not an IANA time zone name"),
        ("posix/America/Chicago", "not an IANA time zone name"),
        ("Factory", "IANA's placeholder for an unset zone, not a place"),
        ("america/chicago", "not an IANA time zone name"),  # names are exact
        ("Mars/Olympus", "not an IANA time zone name"),
        ("tzdata.zones", "not an IANA time zone name"),
    ],
)
def test_a_name_that_is_no_iana_zone_fails_the_file_with_its_line(
    tmp_path: Path, zone: str, why: str
) -> None:
    path = write(tmp_path, "tz.csv", f"store_id,timezone_str\na,UTC\nb,{zone}\n")
    with pytest.raises(FileRowError) as error:
        read_timezones(path)
    assert (error.value.file, error.value.line) == ("tz.csv", 3)
    assert error.value.reason == f"unknown time zone {zone!r} ({why}" + (
        ", such as America/Chicago)" if why.startswith("not") else "; leave it empty)"
    )
