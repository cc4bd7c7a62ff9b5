"""The webhook endpoints, their deliveries and every attempt (tables webhooks, deliveries,
delivery_attempts).

A delivery is attempted under a lease (one attempt at a time, whatever duplicate messages say),
and its attempt is logged as it starts, then completed with the answer. After a failed attempt
its endpoint backs off: that delivery becomes the endpoint's probe, retried with backoff, and
the endpoint's other deliveries are parked (no message, no attempt) until the probe succeeds,
when they are all queued again. So a dead endpoint costs one attempt per backoff step, not one
per waiting delivery, and holds nobody else's turn.
"""

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from shared.db.events import json_text, notify

GIVE_UP_AFTER = timedelta(hours=24)  # of retries, from the delivery's creation
OVERDUE = timedelta(minutes=1)  # a delivery due this long ago without a lease lost its message
EARLY = timedelta(seconds=1)  # a message this much before its delivery is due is not early


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: whsec_ and 24 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


_ENDPOINT = (
    "id, url, events, description, created_at, failing_since, probe IS NOT NULL AS backing_off"
)


async def create(
    conn: asyncpg.Connection, url: str, types: Sequence[str], description: str
) -> asyncpg.Record:
    """Register an endpoint; its row with its secret."""
    row: asyncpg.Record = await conn.fetchrow(
        "INSERT INTO webhooks (id, url, events, description, secret) VALUES ($1, $2, $3, $4, $5)"
        f" RETURNING {_ENDPOINT}, secret",
        uuid.uuid4(),
        url,
        list(types),
        description,
        new_secret(),
    )
    return row


async def listing(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {_ENDPOINT} FROM webhooks ORDER BY created_at, id"
    )
    return rows


async def get(conn: asyncpg.Connection, webhook_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_ENDPOINT} FROM webhooks WHERE id = $1", webhook_id
    )
    return row


async def delete(conn: asyncpg.Connection, webhook_id: uuid.UUID) -> bool:
    """Remove an endpoint with its deliveries and attempts; False when unknown."""
    return bool(await conn.fetchval("DELETE FROM webhooks WHERE id = $1 RETURNING 1", webhook_id))


async def test(conn: asyncpg.Connection, webhook_id: uuid.UUID) -> int | None:
    """A test delivery to the endpoint (attempted once, even while it backs off); its id."""
    async with conn.transaction():
        delivery: int | None = await conn.fetchval(
            "INSERT INTO deliveries (webhook_id) SELECT id FROM webhooks WHERE id = $1"
            " RETURNING id",
            webhook_id,
        )
        if delivery is not None:
            await notify(conn)
    return delivery


async def deliveries(
    conn: asyncpg.Connection, webhook_id: uuid.UUID, before: int | None, limit: int
) -> list[asyncpg.Record]:
    """The endpoint's deliveries newest first (ids below `before`), each with its attempts."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT d.id, d.event_id, coalesce(e.type, 'webhook.test') AS type, d.state, d.attempts,"
        " d.created_at, d.next_at, d.finished_at, d.parked,"
        " coalesce((SELECT json_agg(json_build_object('at', a.at, 'status_code', a.status_code,"
        "  'duration_ms', a.duration_ms, 'error', a.error) ORDER BY a.id)"
        "  FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]')::text AS attempt_log"
        " FROM deliveries d LEFT JOIN events e ON e.id = d.event_id"
        " WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.id < $2)"
        " ORDER BY d.id DESC LIMIT $3",
        webhook_id,
        before,
        limit,
    )
    return rows


# --- the workers' side -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A delivery to attempt now: where, with what secret, what to send."""

    delivery: int
    attempt: int  # its row in delivery_attempts
    attempts: int  # this one included
    webhook_id: uuid.UUID
    url: str
    secret: str
    event_id: int | None  # None: a test
    type: str
    at: datetime
    data: str  # JSON
    created_at: datetime


@dataclass(frozen=True)
class Wait:
    """Not now: the delivery is under way elsewhere, or not due yet; ask again then."""

    until: datetime


Claim = Attempt | Wait | None  # None: nothing to do (done, given up, parked, unknown)


async def claim(
    conn: asyncpg.Connection, delivery: int, redelivered: bool, lease: timedelta
) -> Claim:
    """Take the delivery's next attempt, if it is due and nobody is attempting it: a lease, the
    attempt logged. A redelivered message (the broker's, after the consumer that held it went
    away) takes over a lease. A delivery whose endpoint backs off is parked instead."""
    async with conn.transaction():
        # First (holding no lock yet: no cycle with a finishing attempt, which settles that
        # delivery and then releases this one) whether the store's earlier event waits.
        earlier = await _earlier_of_store(conn, delivery)
        row = await conn.fetchrow(
            "SELECT d.state, d.next_at, d.leased_until, d.event_id, d.created_at, d.webhook_id,"
            " w.url, w.secret, w.probe, w.description, e.type, e.at, e.store,"
            " e.data::text AS data, now() AS now"
            " FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id"
            " LEFT JOIN events e ON e.id = d.event_id WHERE d.id = $1"
            # The endpoint shared: a finishing attempt (which changes the probe) goes first.
            " FOR UPDATE OF d FOR SHARE OF w",
            delivery,
        )
        if row is None or row["state"] != "pending":
            return None
        now = row["now"]
        leased = row["leased_until"] is not None and row["leased_until"] > now
        if leased and not redelivered:
            return Wait(row["leased_until"])
        if row["next_at"] > now + EARLY:
            return Wait(row["next_at"])
        test = row["event_id"] is None
        if not test and ((row["probe"] is not None and row["probe"] != delivery) or earlier):
            await conn.execute("UPDATE deliveries SET parked = true WHERE id = $1", delivery)
            return None
        attempts = await conn.fetchval(
            "UPDATE deliveries SET attempts = attempts + 1, leased_until = $2, parked = false"
            " WHERE id = $1 RETURNING attempts",
            delivery,
            now + lease,
        )
        attempt = await conn.fetchval(
            "INSERT INTO delivery_attempts (delivery_id, error) VALUES ($1,"
            " 'no answer recorded: the attempt was cut short (the worker stopped)') RETURNING id",
            delivery,
        )
    data = row["data"] if not test else _test_data(row)
    return Attempt(
        delivery,
        attempt,
        attempts,
        row["webhook_id"],
        row["url"],
        row["secret"],
        row["event_id"],
        row["type"] or "webhook.test",
        row["at"] or now,
        data,
        row["created_at"],
    )


async def _earlier_of_store(conn: asyncpg.Connection, delivery: int) -> bool:
    """Whether an earlier event of the same store waits for the same endpoint (a store's
    events are delivered in order). Such a delivery being settled now is waited for (FOR
    SHARE), so that its settling, which releases this one, is not missed."""
    found = await conn.fetch(
        "SELECT o.id FROM deliveries me JOIN events e ON e.id = me.event_id"
        " JOIN events oe ON oe.store = e.store AND oe.id < e.id"
        " JOIN deliveries o ON o.event_id = oe.id AND o.webhook_id = me.webhook_id"
        " WHERE me.id = $1 AND o.state = 'pending' FOR SHARE OF o",
        delivery,
    )
    return bool(found)


def _test_data(row: asyncpg.Record) -> str:
    return json_text({"webhook_id": str(row["webhook_id"]), "description": row["description"]})


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: float
    error: str | None  # None: a success

    @property
    def ok(self) -> bool:
        return self.error is None


async def finish(
    conn: asyncpg.Connection, attempt: Attempt, outcome: Outcome, wait: timedelta
) -> tuple[list[int], datetime | None]:
    """Record an attempt's outcome: delivered; or retried after `wait` (as its endpoint's probe,
    or parked behind the probe); or given up, after 24 hours (a test: at once). Returns the
    deliveries to queue now (the parked ones a success releases) and when this one is due
    again (None: it is not)."""
    delivery, webhook_id = attempt.delivery, attempt.webhook_id
    async with conn.transaction():
        await conn.execute(
            "UPDATE delivery_attempts SET status_code = $2, duration_ms = $3, error = $4"
            " WHERE id = $1",
            attempt.attempt,
            outcome.status_code,
            outcome.duration_ms,
            outcome.error,
        )
        endpoint = await conn.fetchrow(
            "SELECT probe, now() AS now FROM webhooks WHERE id = $1 FOR UPDATE", webhook_id
        )
        if endpoint is None:  # deleted meanwhile, with its deliveries
            return [], None
        now, probe = endpoint["now"], endpoint["probe"]
        if outcome.ok:
            released = await _settle(conn, attempt, "delivered")
            await conn.execute(
                "UPDATE webhooks SET probe = NULL, failing_since = NULL WHERE id = $1"
                " AND (probe IS NOT NULL OR failing_since IS NOT NULL)",
                webhook_id,
            )
            return sorted({*released, *await _unpark(conn, webhook_id)}), None
        if attempt.event_id is None or now + wait > attempt.created_at + GIVE_UP_AFTER:
            released = await _settle(conn, attempt, "failed")
            if attempt.event_id is None:
                return [], None
            await conn.execute(
                "UPDATE webhooks SET failing_since = coalesce(failing_since, now()),"
                " probe = NULL WHERE id = $1",
                webhook_id,
            )
            # Another delivery will find out whether the endpoint is back.
            if probe == delivery:
                released = await _unpark(conn, webhook_id)
            return released, None
        due = now + wait
        if probe is None or probe == delivery:
            await conn.execute("UPDATE webhooks SET probe = $2 WHERE id = $1", webhook_id, delivery)
            parked = False
        else:
            parked = True
        await conn.execute(
            "UPDATE deliveries SET next_at = $2, leased_until = NULL, parked = $3 WHERE id = $1",
            delivery,
            due,
            parked,
        )
        return [], None if parked else due


async def _settle(conn: asyncpg.Connection, attempt: Attempt, state: str) -> list[int]:
    """Settle a delivery; its store's next delivery to the endpoint, when it was parked."""
    store = await conn.fetchval(
        "WITH d AS (UPDATE deliveries SET state = $2, finished_at = now(), leased_until = NULL,"
        " parked = false WHERE id = $1 RETURNING event_id)"
        " SELECT e.store FROM d JOIN events e ON e.id = d.event_id",
        attempt.delivery,
        state,
    )
    if store is None:
        return []
    rows = await conn.fetch(
        "UPDATE deliveries SET parked = false, next_at = now() WHERE id = ("
        " SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id"
        " WHERE d.webhook_id = $1 AND d.state = 'pending' AND e.store = $2"
        " ORDER BY d.id LIMIT 1) AND parked RETURNING id",
        attempt.webhook_id,
        store,
    )
    return [r["id"] for r in rows]


async def _unpark(conn: asyncpg.Connection, webhook_id: uuid.UUID) -> list[int]:
    rows = await conn.fetch(
        "UPDATE deliveries SET parked = false, next_at = now() WHERE webhook_id = $1"
        " AND state = 'pending' AND parked RETURNING id",
        webhook_id,
    )
    return sorted(r["id"] for r in rows)


async def to_publish(conn: asyncpg.Connection, limit: int = 10_000) -> list[int]:
    """Deliveries to queue: the new ones (marked published here), and those whose message was
    lost (due over a minute ago, not parked, nobody attempting them)."""
    rows = await conn.fetch(
        "UPDATE deliveries SET published = true WHERE id IN ("
        " SELECT id FROM deliveries WHERE state = 'pending' AND NOT parked AND (NOT published"
        "  OR (next_at < now() - $1::interval AND (leased_until IS NULL OR leased_until < now())))"
        " ORDER BY id LIMIT $2) RETURNING id",
        OVERDUE,
        limit,
    )
    return sorted(r["id"] for r in rows)
