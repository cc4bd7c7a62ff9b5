"""Inside a report through the API and a worker: its summary and its rows' pages (values
computed by hand from the sample), why each store's row is what it is — the segments summed
as the CSV rounds them equal the row for every store of a whole generated data set —, and
hostile ids answered JSON 404."""

import csv
import io
from fractions import Fraction
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest

from sampledata.generate import generate_dataset
from shared.ingest import ingest_hours, ingest_polls, ingest_timezones
from shared.uptime.explain import ticks
from tests.sample import AS_OF, EXPECTED, Client, load_sample, wait_until_finished
from tests.test_explain import rounded, summed
from worker.main import Worker

pytestmark = pytest.mark.usefixtures("purge_queue")
HOUR = 3_600_000_000 * 2  # ticks (half-microseconds)


async def report(client: Client, body: dict[str, object]) -> tuple[str, str]:
    """A report done: its id and CSV."""
    response = await client.post("/trigger_report", json=body)
    report_id = (await response.json())["report_id"]
    done = await wait_until_finished(client, report_id, timeout=120)
    assert done["status"] == "Complete", done
    return report_id, await (await client.get(done["csv_url"])).text()


async def test_summary_rows_and_stores_of_the_sample(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    report_id, text = await report(client, {"as_of": AS_OF})
    assert text == EXPECTED

    summary = await (await client.get(f"/reports/{report_id}/summary")).json()
    # s1 (UTC, Monday 09-12; up 1 h 44 min 30 s = 6270 s of 3 h), s2 (24x7; up 23 h of the
    # day, 167 h of the week; the last hour down): day up 6270 + 82800 = 89070 s of 27 h =
    # 24.74 h, down 2.26 h, 91.64 %; week up 607470 s of 171 h = 168.74 h, 98.68 %.
    assert summary["stores"] == 2
    assert summary["business_hours"] == 171.0 and summary["uptime_percent"] == 98.68
    # Stores without a poll: in the last hour [11:30, 12:30] s1 (10:14, 11:15); none in the
    # day or the week. The hour before [10:30, 11:30]: s1 up 10:30-10:44:30 of 60 min, s2 up
    # 60 min: 74.5 / 120 = 62.08 %. The day before [Jan 21 12:30, Jan 22 12:30]: s1 has no
    # business time (Mondays only), s2 up 24 h: 100 %. The week before: not in the span.
    assert summary["windows"] == [
        {"window": "last_hour", "uptime_hours": 0.0, "downtime_hours": 1.5,
         "business_hours": 1.5, "uptime_percent": 0.0, "stores": 2, "stores_without_polls": 1,
         "previous_uptime_percent": 62.08},
        {"window": "last_day", "uptime_hours": 24.74, "downtime_hours": 2.26,
         "business_hours": 27.0, "uptime_percent": 91.64, "stores": 2, "stores_without_polls": 0,
         "previous_uptime_percent": 100.0},
        {"window": "last_week", "uptime_hours": 168.74, "downtime_hours": 2.26,
         "business_hours": 171.0, "uptime_percent": 98.68, "stores": 2, "stores_without_polls": 0,
         "previous_uptime_percent": None},
    ]  # fmt: skip
    # The latest poll stored at the trigger: s0's, 13:00, after as_of. s1 (58.06 %) is below
    # the default target of 99 %, s2 (99.40 %) is not.
    assert summary["latest_poll"] == "2023-01-23T13:00:00Z"
    assert summary["stale_seconds"] > 3 * 365 * 86_400  # the wall clock is years later
    assert (summary["target_percent"], summary["stores_below_target"]) == (99.0, 1)
    assert summary["stores_without_business_time"] == 0
    # Over the week s1 is up 58 % (bucket 50-60), s2 99.4 % (90-100).
    assert [b["stores"] for b in summary["histogram"]["buckets"]] == [0] * 5 + [1, 0, 0, 0, 1]
    assert summary["histogram"]["no_business_time"] == 0

    page = await (
        await client.get(f"/reports/{report_id}/rows?sort=uptime_last_week&order=desc")
    ).json()
    assert [r["store_id"] for r in page["rows"]] == ["s2", "s1"]
    # Beside the CSV's columns, per window: s2's percents (hour all down; day 23 of 24 h =
    # 95.83 %; week 167 of 168 h = 99.40 %) and polls (12:00 in the hour; 11:00 and 12:00 in
    # the day and the week).
    assert page["rows"][0] == dict(
        zip(EXPECTED.splitlines()[0].split(","), EXPECTED.splitlines()[2].split(","), strict=True)
    ) | {
        "uptime_percent_last_hour": "0.00",
        "uptime_percent_last_day": "95.83",
        "uptime_percent_last_week": "99.40",
        "polls_last_hour": "1",
        "polls_last_day": "2",
        "polls_last_week": "2",
    }
    # s1: 30 min of business in the last hour, all down; 1.7417 of 3 h in the day and the
    # week (the Monday of Jan 16 ends before the week starts at 12:30) = 58.06 %; no poll in
    # the last hour, two in the day and the week.
    by_percent = await (
        await client.get(f"/reports/{report_id}/rows?sort=uptime_percent_last_day")
    ).json()
    assert [
        (r["store_id"], r["uptime_percent_last_day"], r["polls_last_hour"])
        for r in by_percent["rows"]
    ] == [("s1", "58.06", "0"), ("s2", "95.83", "1")]

    # The stores ranked, worst first over the week; s1 in bucket 50-60, s2 in 90-100.
    ranked = await (await client.get(f"/reports/{report_id}/stores")).json()
    assert ranked["stores"] == [
        {"store_id": "s1", "business_hours": 3.0, "uptime_hours": 1.74, "downtime_hours": 1.26,
         "uptime_percent": 58.06, "polls": 2, "bucket": 5},
        {"store_id": "s2", "business_hours": 168.0, "uptime_hours": 167.0,
         "downtime_hours": 1.0, "uptime_percent": 99.4, "polls": 2, "bucket": 9},
    ]  # fmt: skip
    assert ranked["stores_total"] == 2 and ranked["next_cursor"] is None
    best = await (await client.get(f"/reports/{report_id}/stores?order=desc&limit=1")).json()
    assert [s["store_id"] for s in best["stores"]] == ["s2"] and best["next_cursor"]
    then = await (
        await client.get(
            f"/reports/{report_id}/stores?order=desc&limit=1&cursor={best['next_cursor']}"
        )
    ).json()
    assert [s["store_id"] for s in then["stores"]] == ["s1"] and then["next_cursor"] is None
    for bucket, ids in (("9", ["s2"]), ("5", ["s1"]), ("0", []), ("none", [])):
        found = await (await client.get(f"/reports/{report_id}/stores?bucket={bucket}")).json()
        assert [s["store_id"] for s in found["stores"]] == ids, bucket
        assert found["stores_total"] == len(ids)
    for query in ("bucket=10", "bucket=-1", "sort=store", "order=up", "limit=0"):
        response = await client.get(f"/reports/{report_id}/stores?{query}")
        assert response.status == 400, query
    assert page["next_cursor"] is None and page["rows_total"] == 2
    first = await (await client.get(f"/reports/{report_id}/rows?limit=1")).json()
    assert [r["store_id"] for r in first["rows"]] == ["s1"]
    second = await (
        await client.get(f"/reports/{report_id}/rows?limit=1&cursor={first['next_cursor']}")
    ).json()
    assert [r["store_id"] for r in second["rows"]] == ["s2"] and second["next_cursor"] is None
    only = await (await client.get(f"/reports/{report_id}/rows?q=s2")).json()
    assert [r["store_id"] for r in only["rows"]] == ["s2"]
    # rows_total counts the rows q lets through, over all pages: s1 and s2 start with "s".
    for q, total in (("s2", 1), ("s", 2), ("s3", 0), ("", 2)):
        found = await (await client.get(f"/reports/{report_id}/rows?q={q}&limit=1")).json()
        assert found["rows_total"] == total, q
    s_first = await (await client.get(f"/reports/{report_id}/rows?q=s&limit=1")).json()
    s_next = await (
        await client.get(f"/reports/{report_id}/rows?q=s&limit=1&cursor={s_first['next_cursor']}")
    ).json()
    assert [r["store_id"] for r in s_next["rows"]] == ["s2"] and s_next["rows_total"] == 2

    s1 = await (await client.get(f"/reports/{report_id}/stores/s1")).json()
    assert (s1["timezone"], s1["timezone_default"]) == ("UTC", False)
    assert s1["business_hours"] == [{"day": 0, "start": "09:00:00", "end": "12:00:00"}]
    assert s1["span"] == {
        "from": "2023-01-15T12:30:00.000000Z",
        "to": "2023-01-23T12:30:00.000000Z",
    }
    assert s1["observations"] == "business_hours"
    assert s1["polls"] == [
        {"at": "2023-01-23T10:14:00.000000Z", "status": "active", "observation": True},
        {"at": "2023-01-23T11:15:00.000000Z", "status": "inactive", "observation": True},
    ]
    assert s1["segments"] == [
        {"from": "2023-01-23T09:00:00.000000Z", "to": "2023-01-23T10:44:30.000000Z",
         "status": "up", "poll": "2023-01-23T10:14:00.000000Z"},
        {"from": "2023-01-23T10:44:30.000000Z", "to": "2023-01-23T12:00:00.000000Z",
         "status": "down", "poll": "2023-01-23T11:15:00.000000Z"},
    ]  # fmt: skip
    assert s1["outages"] == [
        {"from": "2023-01-23T10:44:30.000000Z", "to": "2023-01-23T12:00:00.000000Z",
         "local_from": "2023-01-23T10:44:30+00:00", "local_to": "2023-01-23T12:00:00+00:00",
         "hours": 1.26},
    ]  # fmt: skip
    assert [d["date"] for d in s1["days"]] == [f"2023-01-{d}" for d in range(16, 24)]
    assert s1["row"]["uptime_last_day"] == "1.74"

    s2 = await (await client.get(f"/reports/{report_id}/stores/s2")).json()
    assert (s2["timezone"], s2["timezone_default"]) == ("America/Chicago", True)
    assert s2["business_hours"] == []  # 24x7
    assert [(s["from"], s["to"], s["status"]) for s in s2["segments"]] == [
        ("2023-01-16T12:30:00.000000Z", "2023-01-23T11:30:00.000000Z", "up"),
        ("2023-01-23T11:30:00.000000Z", "2023-01-23T12:30:00.000000Z", "down"),
    ]
    # Chicago local dates of the week [Jan 16 06:30 CST, Jan 23 06:30 CST].
    assert s2["days"][0] == {
        "date": "2023-01-16",
        "from": "2023-01-16T06:00:00.000000Z",
        "to": "2023-01-17T06:00:00.000000Z",
    }


async def test_hostile_and_unknown_ids_answer_json_404(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    report_id, _ = await report(client, {"as_of": AS_OF})
    for store_id in ["s3", "nope", "../s1", "s1/../s2", "%00", "x" * 10_000, "é", " s1"]:
        response = await client.get(f"/reports/{report_id}/stores/{quote(store_id, safe='')}")
        assert response.status == 404, store_id[:20]
        assert response.content_type == "application/json"
    for bad in ["nope", report_id.upper(), "../" + report_id, "x" * 10_000]:
        for what in ("summary", "rows", "stores/s1"):
            response = await client.get(f"/reports/{quote(bad, safe='')}/{what}")
            assert response.status == 404 and response.content_type == "application/json"
    for query in ["sort=nope", "order=up", "limit=0", "limit=501", "cursor=zzz", "limit=1&limit=2"]:
        response = await client.get(f"/reports/{report_id}/rows?{query}")
        assert response.status == 400, query
    cursor = (await (await client.get(f"/reports/{report_id}/rows?limit=1")).json())["next_cursor"]
    other = await client.get(
        f"/reports/{report_id}/rows?limit=1&sort=uptime_last_day&cursor={cursor}"
    )
    assert other.status == 400  # a cursor of another sort


async def test_a_running_report_is_not_inside_yet(client: Client) -> None:
    response = await client.post("/trigger_report", json={"as_of": AS_OF})  # no worker
    report_id = (await response.json())["report_id"]
    for what in ("summary", "rows", "stores/s1"):
        answer = await client.get(f"/reports/{report_id}/{what}")
        assert answer.status == 409 and (await answer.json())["status"] == "Running"


async def test_every_store_of_a_generated_data_set_sums_to_its_row(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    generate_dataset(tmp_path, 120, 8.5, seed=5)
    await ingest_timezones(conn, tmp_path / "timezones.csv")
    await ingest_hours(conn, tmp_path / "menu_hours.csv")
    await ingest_polls(conn, tmp_path / "store_status.csv")
    report_id, text = await report(client, {})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 120
    served = (await (await client.get(f"/reports/{report_id}/rows?limit=500")).json())["rows"]
    assert [{k: r[k] for k in rows[0]} for r in served] == rows  # the CSV's, then extras
    for row, with_extras in zip(rows, served, strict=True):
        found = await (
            await client.get(f"/reports/{report_id}/stores/{quote(row['store_id'], safe='')}")
        ).json()
        assert found["row"] == row
        now = ticks(found["window"]["to"])
        for window, span, unit in (
            ("hour", HOUR, HOUR // 60),
            ("day", 24 * HOUR, HOUR),
            ("week", 168 * HOUR, HOUR),
        ):
            up, business = summed(found["segments"], now - span, now)
            assert rounded(Fraction(up, unit)) == row[f"uptime_last_{window}"], (row, window)
            assert rounded(Fraction(business - up, unit)) == row[f"downtime_last_{window}"]
            percent = rounded(Fraction(100 * up, business)) if business else ""
            assert with_extras[f"uptime_percent_last_{window}"] == percent, (row, window)
            polls = sum(now - span <= ticks(p["at"]) <= now for p in found["polls"])
            assert with_extras[f"polls_last_{window}"] == str(polls), (row, window)

    # Every page of every sort, put together, is the rows sorted by that column (ties in
    # store_id order; an empty percent last in either order).
    for column in served[0]:
        for order in ("asc", "desc"):
            got, cursor = [], ""
            while True:
                page = await (
                    await client.get(
                        f"/reports/{report_id}/rows?sort={column}&order={order}&limit=7&cursor={cursor}"
                    )
                ).json()
                got += page["rows"]
                if page["next_cursor"] is None:
                    break
                cursor = page["next_cursor"]
            filled = sorted(
                (r for r in served if r[column] != ""),
                key=lambda r, c=column: r[c] if c == "store_id" else float(r[c]),
            )
            empty = [r for r in served if r[column] == ""]
            expected = (filled if order == "asc" else filled[::-1]) + empty
            assert got == expected, (column, order)
    prefix = rows[5]["store_id"][:3]
    page = await (await client.get(f"/reports/{report_id}/rows?q={quote(prefix)}&limit=500")).json()
    assert page["rows"] == [r for r in served if r["store_id"].startswith(prefix)]
