"""Whatever the bytes of an input file, `storemon ingest` ends with the file, the line and the
reason, exit status 2, never a traceback; the quoted bad value is cut at 80 characters; nothing
of the file is stored."""

import random
from pathlib import Path

import asyncpg
import pytest

from tests.test_cli import storemon

POLLS = b"store_id,status,timestamp_utc\n"
HOURS = b"store_id,day,start_time_local,end_time_local\n"
ZONES = b"store_id,timezone_str\n"
OK = b"s0,active,2023-01-22 11:00:00 UTC\n"
BINARY = random.Random(1).randbytes(2000).replace(b"\r", b"").replace(b"\n", b"") + b"\n"


def polls(*rows: bytes) -> bytes:
    return POLLS + OK + b"".join(rows)


CASES = [
    # (what, file kind, content, line, reason)
    (
        "CR-only line ends",
        "polls",
        POLLS.replace(b"\n", b"\r") + OK.replace(b"\n", b"\r"),
        1,
        "lines end in CR alone",
    ),
    (
        "CR-only hours",
        "hours",
        HOURS.replace(b"\n", b"\r") + b"s,0,09:00,17:00\r",
        1,
        "lines end in CR alone",
    ),
    ("UTF-16", "polls", (POLLS + OK).decode().encode("utf-16"), 1, "header is not UTF-8"),
    ("a byte not UTF-8 in zones", "timezones", ZONES + b"s1,UTC\nabc\xff,UTC\n", 3, "not UTF-8"),
    (
        "a byte not UTF-8 in hours",
        "hours",
        HOURS + b"s,0,09:00,17:00\n" * 3 + b"s\xff,1,09:00,17:00\n",
        5,
        "not UTF-8",
    ),
    (
        "binary",
        "timezones",
        BINARY,
        1,
        "header is not",
    ),
    (
        "the last instant",
        "polls",
        polls(b"s1,active,9999-12-31 23:59:59 UTC\n"),
        3,
        "more than 24 hours after the ingest's clock",
    ),
    ("the first instant", "polls", polls(b"s1,active,0001-01-01 00:00:00 UTC\n"), 3, "before 1970"),
    ("before 1970", "polls", polls(b"s1,active,1969-12-31 23:59:59.999999Z\n"), 3, "before 1970"),
    (
        "a far-future poll",
        "polls",
        polls(b"Y,active,9998-12-30 00:00:00 UTC\n"),
        3,
        "more than 24 hours after the ingest's clock",
    ),
    (
        "a zone name past 9999",
        "polls",
        polls(b"s1,active,9999-12-31 23:59:59 EST\n"),
        3,
        "more than 24 hours after the ingest's clock",
    ),
    (
        "a 100 KB store_id",
        "polls",
        polls(b"x" * 100_000 + b",active,2023-01-22 12:00:00 UTC\n"),
        3,
        "store_id longer than 255 bytes",
    ),
    (
        "a 100 KB store_id in hours",
        "hours",
        HOURS + b"y" * 100_000 + b",0,09:00,17:00\n",
        2,
        "store_id longer than 255 bytes",
    ),
    (
        "a 5 MB line",
        "polls",
        polls(b"s1,active," + b"z" * 5_000_000 + b"\n"),
        3,
        "unparseable timestamp_utc",
    ),
    (
        "a 5 MB zone",
        "timezones",
        ZONES + b"s1," + b"A" * 5_000_000 + b"\n",
        2,
        "field larger than field limit",
    ),
    (
        "a 5 MB time",
        "hours",
        HOURS + b"s,0," + b"9" * 200_000 + b",17:00\n",
        2,
        "field larger than field limit",
    ),
]


@pytest.mark.parametrize(
    ("kind", "content", "line", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_a_hostile_file_ends_with_file_line_and_reason(
    database_url: str,
    conn: asyncpg.Connection,
    tmp_path: Path,
    kind: str,
    content: bytes,
    line: int,
    reason: str,
) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(content)
    done = storemon("ingest", f"--{kind}", str(path), DATABASE_URL=database_url)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"storemon ingest: {path.name}, line {line}: "), last[:300]
    assert reason in last
    assert len(last) < 300  # the bad value is quoted, not echoed whole
    assert "Traceback" not in done.stderr
    assert await conn.fetchval("SELECT count(*) FROM poll_chunks") == 0
    assert await conn.fetchval("SELECT count(*) FROM stores") == 0
    assert await conn.fetchval("SELECT count(*) FROM ingests") == 0


async def test_a_far_future_poll_never_becomes_the_default_as_of(
    database_url: str, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "polls.csv"
    path.write_bytes(polls(b"Y,active,9998-12-30 00:00:00 UTC\n"))
    assert storemon("ingest", "--polls", str(path), DATABASE_URL=database_url).returncode == 2
    good = tmp_path / "good.csv"
    good.write_bytes(polls())
    assert storemon("ingest", "--polls", str(good), DATABASE_URL=database_url).returncode == 0
    assert (
        str(await conn.fetchval("SELECT max(max_ts) FROM ingests")) == "2023-01-22 11:00:00+00:00"
    )
