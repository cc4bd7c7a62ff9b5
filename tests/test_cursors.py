"""Page cursors: the one codec (shared/cursors.py) round-trips and refuses anything it did not
write; every paged route answers a crafted cursor 400 JSON, never 500 and never a page."""

import base64
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
import orjson
import pytest

from shared import cursors
from shared.errors import BadInput
from tests.sample import AS_OF, Client, load_sample, wait_until_finished
from worker.main import Worker

FIELDS: dict[str, cursors.Types] = {"a": str, "n": int, "s": (str, type(None))}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signed(kind: str, payload: bytes) -> str:
    """A cursor of any payload with a right check, as anyone reading the codec can make."""
    return b64(payload) + "." + b64(cursors._check(kind, payload))


def test_a_cursor_round_trips() -> None:
    cursor = cursors.encode("k", {"a": "é/x", "n": 7, "s": None})
    assert cursors.decode(cursor, "k", FIELDS) == {"a": "é/x", "n": 7, "s": None}
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def crafted(good: str) -> dict[str, str]:
    """Cursors the API never gave, made from one it gave (`good`, of kind "k" over FIELDS)."""
    payload, check = good.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    edited = raw.replace(b'"n":7', b'"n":8')
    assert edited != raw
    return {
        "empty check": payload + ".",
        "no check": payload,
        "truncated": good[:-3],
        "truncated payload": payload[:-2] + "." + check,
        "two dots": good + ".x",
        "not base64": "!!!." + check,
        "padded": payload + "==." + check,
        "not ASCII": "é" + good,
        "tampered": b64(edited) + "." + check,  # the position moved, the check kept
        "other kind": cursors.encode("other", {"a": "x", "n": 7, "s": None}),
        "not JSON": signed("k", b"{nope"),
        "not UTF-8": signed("k", b'{"a":"\xff","n":7,"s":null}'),
        "a list": signed("k", b"[1,2]"),
        "a field missing": cursors.encode("k", {"a": "x", "n": 7}),
        "a field more": cursors.encode("k", {"a": "x", "n": 7, "s": None, "z": 1}),
        "wrong type": cursors.encode("k", {"a": "x", "n": "7", "s": None}),
        "a bool for an int": cursors.encode("k", {"a": "x", "n": True, "s": None}),  # type: ignore[dict-item]
        "an int for a string": cursors.encode("k", {"a": 1, "n": 7, "s": None}),
        "too long": cursors.encode("k", {"a": "x" * 2000, "n": 7, "s": None}),
    }


@pytest.mark.parametrize("name", list(crafted(cursors.encode("k", {"a": "x", "n": 7, "s": None}))))
def test_a_cursor_the_codec_did_not_write_is_bad_input(name: str) -> None:
    bad = crafted(cursors.encode("k", {"a": "x", "n": 7, "s": None}))[name]
    with pytest.raises(BadInput, match=r"^cursor is not one this API gave"):
        cursors.decode(bad, "k", FIELDS)


async def assert_400(client: Client, url: str, what: str) -> None:
    response = await client.get(url)
    assert response.status == 400, (what, response.status, await response.text())
    assert response.content_type == "application/json", what
    body = await response.json()
    assert set(body) == {"error"} and "cursor" in body["error"], (what, body)


def hostile(good: str, kind: str, fields: dict[str, object]) -> dict[str, str]:
    """A route's own cursor broken every way, and well-formed ones holding bad values."""
    payload, check = good.split(".")
    return {
        "zzz": "zzz",
        "old format (bare base64 JSON)": b64(orjson.dumps(fields)),
        "truncated": good[:-4],
        "no check": payload,
        "tampered check": payload + "." + ("A" if check[0] != "A" else "B") + check[1:],
        "not ASCII": good + "é",
        "NUL": good + "\x00",
        "huge": "A" * 10_000,
        "a list": signed(kind, b"[1]"),
        "a string": signed(kind, b'"x"'),
        "a number past 64 bits": signed(kind, b'{"p":' + b"9" * 40 + b"}"),
        "wrong types": cursors.encode(kind, {k: 123 for k in fields}),
        "a field missing": cursors.encode(kind, dict(list(fields.items())[1:])),  # type: ignore[arg-type]
    }


async def test_rows_route_refuses_crafted_cursors(
    client: Client, worker: Worker, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    await load_sample(conn, tmp_path)
    response = await client.post("/trigger_report", json={"as_of": AS_OF})
    report_id = (await response.json())["report_id"]
    assert (await wait_until_finished(client, report_id, timeout=120))["status"] == "Complete"
    url = f"/reports/{report_id}/rows?limit=1&cursor="
    good = (await (await client.get(url)).json())["next_cursor"]
    second = await (await client.get(url + quote(good))).json()
    assert [r["store_id"] for r in second["rows"]] == ["s2"]  # the codec's own cursor works
    fields = {"r": report_id, "s": "store_id", "o": "asc", "q": "", "p": 1}
    cases = hostile(good, "rows", fields)
    cases |= {
        "a reports cursor": cursors.encode("reports", {"t": "x", "i": "y", "s": None}),
        "negative position": cursors.encode("rows", {**fields, "p": -1}),
        "past the end": cursors.encode("rows", {**fields, "p": 3}),  # 2 rows: at most 2
        "a position as text": cursors.encode("rows", {**fields, "p": "1"}),
    }
    for what, bad in cases.items():
        await assert_400(client, url + quote(bad, safe=""), what)
    # Well-formed, but for other pages: another report, sort, order or q.
    for name, value in (("r", str(uuid.uuid4())), ("s", "uptime_last_day"), ("o", "desc")):
        other = cursors.encode("rows", {**fields, name: value})
        await assert_400(client, url + quote(other), f"another {name}")
    await assert_400(client, f"/reports/{report_id}/rows?q=s&limit=1&cursor={good}", "another q")


async def test_report_list_refuses_crafted_cursors(
    client: Client, conn: asyncpg.Connection
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(3):
        await conn.execute(
            "INSERT INTO reports (id, status, finished_at, requested_at)"
            " VALUES ($1, 'Complete', $2, $2)",
            uuid.uuid4(),
            start + timedelta(minutes=n),
        )
    first = await (await client.get("/api/reports?limit=1")).json()
    good = first["next_cursor"]
    second = await (await client.get(f"/api/reports?limit=1&cursor={good}")).json()
    assert second["reports"][0]["requested_at"] == "2024-01-01T00:01:00Z"  # it works
    last = second["reports"][0]
    fields = {"t": last["requested_at"], "i": last["report_id"], "s": None}
    cases = hostile(good, "reports", fields)
    cases |= {
        "a rows cursor": cursors.encode("rows", {"r": "x", "s": "", "o": "", "q": "", "p": 0}),
        # Crafted with the codec itself (its check is no secret): values that do not parse.
        "an id as a number": cursors.encode("reports", {**fields, "i": 123}),  # was a 500
        "an id that is no UUID": cursors.encode("reports", {**fields, "i": "nope"}),
        "a time that is no time": cursors.encode("reports", {**fields, "t": "yesterday"}),
        "a naive time": cursors.encode("reports", {**fields, "t": "2024-01-01T00:01:00"}),
        "a time past year 9999 in UTC": cursors.encode(
            "reports", {**fields, "t": "9999-12-31T23:59:59-14:00"}
        ),
        "a status filter as a number": cursors.encode("reports", {**fields, "s": 1}),
    }
    for what, bad in cases.items():
        await assert_400(client, f"/api/reports?limit=1&cursor={quote(bad, safe='')}", what)
    other = cursors.encode("reports", {**fields, "s": "Failed"})
    await assert_400(client, f"/api/reports?limit=1&cursor={other}", "another status")
