"""The reports table: a report's lifecycle from request to Complete or Failed."""

import uuid
from datetime import datetime
from typing import Any, TypeAlias, cast

import asyncpg

Report: TypeAlias = asyncpg.Record
_SELECT = (
    "SELECT r.*, (SELECT count(*) FROM report_shards s "
    " WHERE s.report_id = r.id AND s.done_at IS NOT NULL) AS shards_done FROM reports r"
)


async def create(conn: asyncpg.Connection, as_of: datetime | None) -> Report:
    """Record a Running report, pinned to the current hours and timezones snapshots; as_of
    defaults to the latest poll, read in this same statement."""
    row = await conn.fetchrow(
        "INSERT INTO reports (id, status, as_of, hours_snapshot, timezones_snapshot) "
        "VALUES ($1, 'Running',"
        " coalesce($2, (SELECT max(max_ts) FROM ingests WHERE kind = 'polls')),"
        " (SELECT coalesce(max(id), 0) FROM ingests WHERE kind = 'hours'),"
        " (SELECT coalesce(max(id), 0) FROM ingests WHERE kind = 'timezones')) RETURNING *",
        uuid.uuid4(),
        as_of,
    )
    assert row is not None
    return cast(Report, row)


async def get(conn: asyncpg.Connection, report_id: str) -> Report | None:
    return cast(
        Report | None,
        await conn.fetchrow(
            f"{_SELECT} WHERE r.id = $1",
            uuid.UUID(report_id),
        ),
    )


async def recent(conn: asyncpg.Connection, limit: int) -> list[Report]:
    """The `limit` most recently requested reports, newest first, in the row shape of `get`."""
    return cast(
        list[Report],
        await conn.fetch(
            f"{_SELECT} ORDER BY r.requested_at DESC, r.id DESC LIMIT $1",
            limit,
        ),
    )


async def start(conn: asyncpg.Connection, report_id: str) -> Report | None:
    """Mark a Running report as started; None when it is unknown or already finished."""
    return cast(
        Report | None,
        await conn.fetchrow(
            "UPDATE reports SET started_at = coalesce(started_at, now()) "
            "WHERE id = $1 AND status = 'Running' RETURNING *",
            uuid.UUID(report_id),
        ),
    )


async def complete(conn: asyncpg.Connection, report_id: str, rows: int) -> None:
    await _finish(conn, report_id, "status = 'Complete', progress = 1, rows = $2", rows)


async def fail(conn: asyncpg.Connection, report_id: str, error: str) -> None:
    await _finish(conn, report_id, "status = 'Failed', error = $2", error)


async def _finish(conn: asyncpg.Connection, report_id: str, changes: str, value: object) -> None:
    """Finish a Running report (a finished one stays as it is: redeliveries change nothing)."""
    await conn.execute(
        f"UPDATE reports SET {changes}, finished_at = now() WHERE id = $1 AND status = 'Running'",
        uuid.UUID(report_id),
        value,
    )


def status_json(report: Report) -> dict[str, Any]:
    """The get_report answer for a known report (the spec's fields per status)."""
    body: dict[str, Any] = {
        "report_id": str(report["id"]),
        "status": report["status"],
        "as_of": report["as_of"],
        "requested_at": report["requested_at"],
    }
    if report["status"] == "Running":
        body["progress"] = round(float(report["progress"]), 3)
        body["shards_total"] = report["shards_total"]
        body["shards_done"] = report["shards_done"]
    else:
        body["finished_at"] = report["finished_at"]
    if report["status"] == "Complete":
        body["rows"] = report["rows"]
        body["csv_url"] = f"/reports/{report['id']}.csv"
    elif report["status"] == "Failed":
        body["error"] = report["error"]
    return body
