"""The reports table: a report's lifecycle from request to Complete or Failed."""

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime

import asyncpg

from shared.db import events, locks
from shared.db.ingests import CURRENT_HOURS, CURRENT_TIMEZONES, LATEST_POLL
from shared.db.shards import DONE_COUNT
from shared.metrics import REPORT_BUCKETS, count_outcomes, histogram, observe
from shared.reportviews import status_json
from shared.requests import ReportRequest
from shared.uptime.periods import Range


@dataclass(frozen=True)
class Report:
    """A row of the reports table, as every statement here answers it."""

    id: str
    status: str
    as_of: datetime | None  # None: no poll at all when it was requested
    hours_snapshot: int | None
    timezones_snapshot: int | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    shards_total: int | None
    rows: int | None
    error: str | None
    date_from: date | None  # a period report's range (None: the standard report)
    date_to: date | None
    period: str | None
    stalls: int
    expired_from: str | None  # an Expired report: how it had ended
    store_count: int | None = None  # how many store_ids it was asked for (None: every store)
    latest_poll: datetime | None = None  # the latest poll stored when it was triggered
    shards_done: int = 0
    moved_at: datetime | None = None  # `running` only: when it last made progress

    @classmethod
    def of(cls, row: asyncpg.Record) -> "Report":
        """The report of a row holding at least the table's columns."""
        found = {f.name: row[f.name] for f in fields(cls) if f.name in row}
        return cls(**(found | {"id": str(row["id"])}))

    @property
    def periods(self) -> Range | None:
        """The range of a period report (None: the standard report)."""
        if self.date_from is None or self.date_to is None or self.period is None:
            return None
        return Range(self.date_from, self.date_to, self.period)


# Every column but the store ids (up to 10,000): their count instead.
_COLUMNS = (
    "r.id, r.status, r.as_of, r.hours_snapshot, r.timezones_snapshot, r.requested_at,"
    " r.started_at, r.finished_at, r.shards_total, r.rows, r.error, r.date_from, r.date_to,"
    " r.period, cardinality(r.store_ids) AS store_count, r.stalls, r.expired_from,"
    " r.latest_poll"
)
_SELECT = f"SELECT {_COLUMNS}, {DONE_COUNT} AS shards_done FROM reports r"
_COUNT_TRIGGERED = count_outcomes("(SELECT 'triggered' AS outcome FROM r)")


async def create(conn: asyncpg.Connection, request: ReportRequest) -> Report:
    """Record a Running report of `request`, pinned to the current hours and timezones
    snapshots; as_of defaults to the latest poll, read in this same statement."""
    periods = request.periods
    await locks.snapshots_pinned(conn)
    row = await conn.fetchrow(
        "WITH r AS (INSERT INTO reports (id, status, as_of, hours_snapshot, timezones_snapshot,"
        " date_from, date_to, period, store_ids, latest_poll) "
        f"VALUES ($1, 'Running', coalesce($2, {LATEST_POLL}), {CURRENT_HOURS},"
        f" {CURRENT_TIMEZONES}, $3, $4, $5, $6, {LATEST_POLL}) RETURNING *),"
        f" counted AS ({_COUNT_TRIGGERED})"
        f" SELECT {_COLUMNS}, 0 AS shards_done FROM r",
        uuid.uuid4(),
        request.as_of,
        None if periods is None else periods.first,
        None if periods is None else periods.last,
        None if periods is None else periods.interval,
        None if request.store_ids is None else list(request.store_ids),
    )
    assert row is not None
    return Report.of(row)


async def store_ids(conn: asyncpg.Connection, report_id: str) -> list[str] | None:
    """The only stores a report is about (None: every store)."""
    ids: list[str] | None = await conn.fetchval(
        "SELECT store_ids FROM reports WHERE id = $1", uuid.UUID(report_id)
    )
    return ids


async def get(conn: asyncpg.Connection, report_id: str) -> Report | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE r.id = $1", uuid.UUID(report_id))
    return None if row is None else Report.of(row)


STATUSES = ("Running", "Complete", "Failed", "Cancelled", "Expired")


async def listing(
    conn: asyncpg.Connection,
    limit: int,
    status: str | None = None,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[Report]:
    """Reports newest first (by requested_at, then id), in the row shape of `get`: those of
    `status` if given, those after `before` (the last of the previous page) if given."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE ($2::text IS NULL OR r.status = $2)"
        " AND ($3::timestamptz IS NULL OR (r.requested_at, r.id) < ($3, $4))"
        " ORDER BY r.requested_at DESC, r.id DESC LIMIT $1",
        limit,
        status,
        None if before is None else before[0],
        None if before is None else before[1],
    )
    return [Report.of(row) for row in rows]


async def cancel(conn: asyncpg.Connection, report_id: str) -> bool:
    """Cancel a Running report; False when it is not Running (any more)."""
    done = await conn.fetchval(
        "WITH r AS (UPDATE reports SET status = 'Cancelled', finished_at = now() "
        "WHERE id = $1 AND status = 'Running' RETURNING status AS outcome),"
        f" counted AS ({count_outcomes('r')}) SELECT count(*) FROM r",
        uuid.UUID(report_id),
    )
    return bool(done)


async def expire(conn: asyncpg.Connection, requested_before: datetime) -> list[str]:
    """Mark finished reports requested before then Expired; their ids."""
    rows = await conn.fetch(
        "WITH r AS (UPDATE reports SET status = 'Expired', expired_from = status "
        "WHERE requested_at < $1 AND status IN ('Complete', 'Failed', 'Cancelled')"
        " RETURNING id, status AS outcome),"
        f" counted AS ({count_outcomes('r')}) SELECT id FROM r",
        requested_before,
    )
    return [str(r["id"]) for r in rows]


async def statuses(conn: asyncpg.Connection, report_ids: list[str]) -> dict[str, str]:
    """The status of each of `report_ids` that is a known report."""
    rows = await conn.fetch(
        "SELECT id, status FROM reports WHERE id = ANY($1::uuid[])",
        [uuid.UUID(i) for i in report_ids],
    )
    return {str(r["id"]): r["status"] for r in rows}


async def running(conn: asyncpg.Connection) -> list[Report]:
    """Every Running report, with when it last made progress (`moved_at`): its request, its
    start, a shard's start or end, or its last stall."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, greatest(r.requested_at, r.started_at, r.stalled_at,"
        " (SELECT max(greatest(s.started_at, s.done_at)) FROM report_shards s"
        "  WHERE s.report_id = r.id)) AS moved_at FROM reports r WHERE r.status = 'Running'"
    )
    return [Report.of(row) for row in rows]


async def stalled(conn: asyncpg.Connection, report_id: str) -> int:
    """Count a stall of a Running report; its stalls so far (0: it is not Running)."""
    stalls = await conn.fetchval(
        "UPDATE reports SET stalls = stalls + 1, stalled_at = now() "
        "WHERE id = $1 AND status = 'Running' RETURNING stalls",
        uuid.UUID(report_id),
    )
    return int(stalls or 0)


async def start(conn: asyncpg.Connection, report_id: str) -> Report | None:
    """Mark a Running report as started; None when it is unknown or already finished."""
    row = await conn.fetchrow(
        "UPDATE reports SET started_at = coalesce(started_at, now()) "
        "WHERE id = $1 AND status = 'Running' RETURNING *",
        uuid.UUID(report_id),
    )
    return None if row is None else Report.of(row)


async def lock_status(conn: asyncpg.Connection, report_id: str) -> str | None:
    """The report's status, its row locked until the transaction ends (None when unknown)."""
    status: str | None = await conn.fetchval(
        "SELECT status FROM reports WHERE id = $1 FOR UPDATE", uuid.UUID(report_id)
    )
    return status


async def set_shards_total(conn: asyncpg.Connection, report_id: str, shards: int) -> None:
    await conn.execute(
        "UPDATE reports SET shards_total = $2 WHERE id = $1", uuid.UUID(report_id), shards
    )


async def complete(conn: asyncpg.Connection, report_id: str, rows: int) -> None:
    await _finish(conn, report_id, "status = 'Complete', rows = $2", rows)


async def fail(conn: asyncpg.Connection, report_id: str, error: str) -> None:
    await _finish(conn, report_id, "status = 'Failed', error = $2", error)


async def _finish(conn: asyncpg.Connection, report_id: str, changes: str, value: object) -> None:
    """Finish a Running report (a finished one stays as it is: redeliveries change nothing),
    counted in the same statement, with its seconds from trigger to Complete; its event
    (report.completed or report.failed) commits with it."""
    seconds = "extract(epoch FROM finished_at - requested_at)::float8"
    # clock_timestamp(), not now(): the assembly runs in the transaction that completes the
    # report (its row locked), and now() is that transaction's start, before the CSV existed.
    async with conn.transaction():
        finished = await conn.fetchval(
            f"WITH r AS (UPDATE reports SET {changes}, finished_at = clock_timestamp()"
            " WHERE id = $1 AND status = 'Running' RETURNING status AS outcome,"
            f" CASE WHEN status = 'Complete' THEN {seconds} END AS seconds),"
            f" counted AS ({count_outcomes('r')}),"
            f" observed AS ({observe('report', REPORT_BUCKETS, 'r')}) SELECT count(*) FROM r",
            uuid.UUID(report_id),
            value,
        )
        if finished:
            report = await get(conn, report_id)
            assert report is not None and report.finished_at is not None
            kind = "report.completed" if report.status == "Complete" else "report.failed"
            await events.record(
                conn, [events.NewEvent(kind, report.finished_at, status_json(report))]
            )


# The reports that still read their snapshots: a Running one computes with them, a Complete one
# explains its rows with them until it expires. A Failed or Cancelled report has nothing to
# compute or explain (its drill-down answers 409), and an Expired one neither (410).
PINNING = ("Running", "Complete")


def pinned_snapshots(kind: str) -> str:
    """A subquery: the `kind` ('hours' or 'timezones') snapshots reports still read."""
    column = {"hours": "hours_snapshot", "timezones": "timezones_snapshot"}[kind]
    statuses = ", ".join(f"'{s}'" for s in PINNING)
    # NOT NULL: one NULL would make every `snapshot NOT IN (…)` unknown, so nothing would go
    return f"SELECT {column} FROM reports WHERE status IN ({statuses}) AND {column} IS NOT NULL"


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Reports triggered, done (Complete), failed, cancelled and expired, ever (counted as
    they happen: an Expired report still counts as what it was)."""
    found = dict(await conn.fetch("SELECT outcome, count FROM report_counts"))
    names = {"triggered": "triggered", "done": "Complete", "failed": "Failed"}
    names |= {"cancelled": "Cancelled", "expired": "Expired"}
    return {name: int(found.get(outcome, 0)) for name, outcome in names.items()}


async def duration_histogram(conn: asyncpg.Connection) -> list[float]:
    """Cumulative counts of Complete reports per REPORT_BUCKETS bound of seconds from trigger
    to Complete, then their count and the sum of their seconds."""
    return await histogram(conn, "report", REPORT_BUCKETS)
