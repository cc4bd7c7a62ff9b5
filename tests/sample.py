"""A small data set with hand-computed report rows, and helpers to follow a report."""

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from shared.ingest import ingest_hours, ingest_polls, ingest_timezones

Client = TestClient[Any, Any]
HEADER = (
    "store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
    "downtime_last_hour,downtime_last_day,downtime_last_week"
)
# s1: UTC, open Monday 09:00-12:00, observations 10:14 active and 11:15 inactive on Monday
#     2023-01-23: switch at 10:44:30, so 1 h 44 min 30 s up (1.74 h), 1 h 15 min 30 s down
#     (1.26 h); the last hour [11:30, 12:30] holds 30 min of business time, all down.
# s2: no zone, no hours (24x7): active 11:00, inactive 12:00, switch at 11:30: the last hour is
#     all down; the day is 23 h up, 1 h down; the week 167 h up, 1 h down.
# s3 (too old) and s0 (after as_of) have no poll in the span: not in the report.
EXPECTED = HEADER + "\ns1,0.00,1.74,1.74,30.00,1.26,1.26\ns2,0.00,23.00,167.00,60.00,1.00,1.00\n"
AS_OF = "2023-01-23T12:30:00Z"


SAMPLE_POLLS = (
    "s1,active,2023-01-23 10:14:00 UTC\n"
    "s1,inactive,2023-01-23 11:15:00 UTC\n"
    "s2,inactive,2023-01-23 12:00:00 UTC\n"
    "s2,active,2023-01-23 11:00:00 UTC\n"
    "s3,active,2023-01-10 11:00:00 UTC\n"
    "s0,active,2023-01-23 13:00:00 UTC\n"
)


async def load_sample(conn: asyncpg.Connection, tmp_path: Path) -> None:
    polls = tmp_path / "store_status.csv"
    polls.write_text("store_id,status,timestamp_utc\n" + SAMPLE_POLLS)
    hours = tmp_path / "menu_hours.csv"
    hours.write_text("store_id,day,start_time_local,end_time_local\ns1,0,09:00:00,12:00:00\n")
    zones = tmp_path / "timezones.csv"
    zones.write_text("store_id,timezone_str\ns1,UTC\n")
    await ingest_polls(conn, polls)
    await ingest_hours(conn, hours)
    await ingest_timezones(conn, zones)


async def wait_until_finished(
    client: Client, report_id: str, timeout: float = 30
) -> dict[str, Any]:
    for _ in range(int(timeout / 0.05)):
        response = await client.get(f"/get_report/{report_id}")
        body = await response.json()
        assert response.status == 200, body
        if body["status"] != "Running":
            return body
        assert 0 <= body["progress"] <= 1
        await asyncio.sleep(0.05)
    raise AssertionError(f"report {report_id} still running")
