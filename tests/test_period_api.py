"""Period reports through the API and a worker: the trigger's fields and its 400s, the status
that carries them back, the long CSV. Expected rows computed by hand from the spec."""

import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.sample import Client, load_sample, wait_until_finished
from worker.main import Worker

PERIOD_HEADER = "store_id,period_start,uptime_hours,downtime_hours,uptime_percent,polls"
# The sample (tests/sample.py) on local Monday 2023-01-23, as of 12:30 UTC:
# s1, UTC, open 09:00-12:00; observations 10:14 active, 11:15 inactive, switch at 10:44:30:
#   up 1 h 44 min 30 s = 1.7417 h, down 1 h 15 min 30 s = 1.2583 h, 104.5 / 180 = 58.06 %.
# s2, no zone (America/Chicago, CST = UTC-6), 24x7: the day runs from 06:00Z, counted up to
#   as_of 12:30Z = 6.5 h; polls 11:00 active, 12:00 inactive, switch 11:30: up 5.5 h, down
#   1 h, 5.5 / 6.5 = 84.62 %.
# s3 (polls of Jan 10) and s0 (after as_of) have no poll in their spans: no rows.
# Each of s1 and s2 has two polls on its day before as_of.
S1 = "s1,2023-01-23,1.74,1.26,58.06,2"
S2 = "s2,2023-01-23,5.50,1.00,84.62,2"
DAY = {"from": "2023-01-23", "to": "2023-01-23", "as_of": "2023-01-23T12:30:00Z"}


async def csv_of(client: Client, report_id: str) -> str:
    done = await wait_until_finished(client, report_id)
    assert done["status"] == "Complete", done
    return await (await client.get(done["csv_url"])).text()


@pytest.mark.usefixtures("purge_queue")
async def test_a_period_report_end_to_end(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    response = await client.post("/trigger_report", json=DAY)
    assert response.status == 202
    accepted = await response.json()
    assert accepted["from"] == accepted["to"] == "2023-01-23"
    assert accepted["interval"] == "day" and accepted["store_ids"] is None
    assert await csv_of(client, accepted["report_id"]) == f"{PERIOD_HEADER}\n{S1}\n{S2}\n"
    status = await (await client.get(f"/get_report/{accepted['report_id']}")).json()
    assert (status["from"], status["to"], status["interval"], status["store_ids"]) == (
        "2023-01-23",
        "2023-01-23",
        "day",
        None,
    )
    assert status["rows"] == 2

    only = await client.post("/trigger_report", json=DAY | {"store_ids": ["s2", " nope "]})
    body = await only.json()
    assert body["store_ids"] == 2  # asked for two ids; the unknown one is simply absent
    assert await csv_of(client, body["report_id"]) == f"{PERIOD_HEADER}\n{S2}\n"

    # The same by query string, interval total: one period, the same sums.
    query = (
        "/trigger_report?from=2023-01-23&to=2023-01-23&interval=total&as_of=2023-01-23T12:30:00Z"
    )
    by_query = await (await client.get(query)).json()
    assert by_query["interval"] == "total"
    assert await csv_of(client, by_query["report_id"]) == f"{PERIOD_HEADER}\n{S1}\n{S2}\n"


@pytest.mark.usefixtures("purge_queue")
@pytest.mark.parametrize(
    "body",
    [
        # The sample's polls run from Jan 10 to Jan 23 2023 (s1 has hours: its zone table is
        # built over its span). A range months after as_of: the span ends before it starts.
        {"from": "2023-04-01", "to": "2023-04-30", "as_of": "2023-01-23T12:30:00Z"},
        {"from": "2023-06-01", "to": "2023-12-31", "interval": "month"},  # as_of: latest poll
        # as_of long before the range (and before every poll).
        {"from": "2023-01-16", "to": "2023-01-22", "as_of": "2022-06-01T00:00:00Z"},
        # The mirror: a range wholly before the first poll, as_of after it: no poll in any span.
        {"from": "2022-10-01", "to": "2022-10-31", "as_of": "2023-01-23T12:30:00Z"},
        {"from": "2022-01-01", "to": "2022-12-31", "interval": "total"},
    ],
)
async def test_a_range_far_from_as_of_or_the_polls_is_the_header_alone(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path, body: dict[str, str]
) -> None:
    """Complete at the first attempt with no rows (it ended Failed after 5: an IndexError)."""
    await load_sample(conn, tmp_path)
    response = await client.post("/trigger_report", json=body)
    assert response.status == 202, await response.text()
    report_id = (await response.json())["report_id"]
    assert await csv_of(client, report_id) == f"{PERIOD_HEADER}\n"
    status = await (await client.get(f"/get_report/{report_id}")).json()
    assert (status["status"], status["rows"]) == ("Complete", 0)
    summary = await (await client.get(f"/reports/{report_id}/summary")).json()
    assert summary["stores"] == 0


@pytest.mark.usefixtures("purge_queue")
async def test_a_366_date_range_is_accepted(client: Client) -> None:
    response = await client.post(
        "/trigger_report", json={"from": "2024-01-01", "to": "2024-12-31", "interval": "month"}
    )
    assert response.status == 202, await response.text()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"from": "2023-01-01"}, "from and to come together"),
        ({"to": "2023-01-01"}, "from and to come together"),
        ({"from": "2023-01-02", "to": "2023-01-01"}, "is before from"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "holds 367 dates; at most 366"),
        ({"from": "2023-1-1", "to": "2023-01-02"}, "from must be a date YYYY-MM-DD"),
        ({"from": "2023-02-30", "to": "2023-03-02"}, "is not a date"),
        ({"from": "20230101", "to": "2023-01-02"}, "from must be a date YYYY-MM-DD"),
        ({"from": "1969-12-31", "to": "1970-01-02"}, "must lie between"),
        ({"from": 20230101, "to": "2023-01-02"}, "from must be a date"),
        ({"from": "2023-01-01", "to": "2023-01-02", "interval": "year"}, "interval must be"),
        ({"interval": "week"}, "come with from and to"),
        ({"store_ids": ["s1"]}, "come with from and to"),
        ({"from": "2023-01-01", "to": "2023-01-01", "store_ids": []}, "list of 1 to 10,000"),
        ({"from": "2023-01-01", "to": "2023-01-01", "store_ids": "s1"}, "list of 1 to 10,000"),
        ({"from": "2023-01-01", "to": "2023-01-01", "store_ids": [1]}, "must hold strings"),
        ({"from": "2023-01-01", "to": "2023-01-01", "store_ids": [" "]}, "1 to 255 bytes"),
        ({"from": "2023-01-01", "to": "2023-01-01", "store_ids": ["x" * 256]}, "1 to 255 bytes"),
        (
            {"from": "2023-01-01", "to": "2023-01-01", "store_ids": ["s"] * 10_001},
            "list of 1 to 10,000",
        ),
    ],
)
async def test_bad_period_requests_are_400(
    client: Client, body: dict[str, object], says: str
) -> None:
    response = await client.post("/trigger_report", json=body)
    assert response.status == 400
    assert says in (await response.json())["error"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        # An upstream-style range would otherwise be a standard report, a typo a daily one.
        (
            {"from_date": "2023-01-01", "to_date": "2023-01-31"},
            "unknown fields 'from_date', 'to_date';",
        ),
        (
            {"from": "2023-01-01", "to": "2023-01-31", "intervall": "week"},
            "unknown field 'intervall';",
        ),
        ({"as_of": "2023-01-23T12:30:00Z", "asof": "2023-01-01"}, "unknown field 'asof';"),
        ({"As_Of": "2023-01-23T12:30:00Z"}, "unknown field 'As_Of';"),  # names are exact
    ],
)
async def test_unknown_trigger_fields_are_400_naming_them(
    client: Client, conn: asyncpg.Connection, body: dict[str, str], says: str
) -> None:
    """In a JSON body and in the query string alike; nothing is recorded."""
    for response in (
        await client.post("/trigger_report", json=body),
        await client.get("/trigger_report", params=body),
        await client.post("/trigger_report", params=body),
    ):
        assert response.status == 400
        error = (await response.json())["error"]
        assert error.startswith(says), error
        assert error.endswith("a trigger takes as_of, from, to, interval, store_ids"), error
    assert await conn.fetchval("SELECT count(*) FROM reports") == 0


async def test_a_standard_report_says_nothing_of_periods(
    client: Client, conn: asyncpg.Connection
) -> None:
    report_id = uuid.uuid4()
    await conn.execute("INSERT INTO reports (id, status) VALUES ($1, 'Running')", report_id)
    status = await (await client.get(f"/get_report/{report_id}")).json()
    assert not {"from", "to", "interval", "store_ids"} & set(status)
