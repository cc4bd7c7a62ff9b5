"""Webhook deliveries: each worker consumes the webhook queue beside its jobs, many deliveries
at once (the report jobs keep their own channel and prefetch, so an endpoint that answers
slowly or never holds no report's job). An attempt is a signed POST (Standard Webhooks) with a
bounded time; its outcome is recorded, and a failed delivery waits in the wait queues for its
next attempt (shared/messages.py, shared/db/webhooks.py)."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from standardwebhooks import Webhook

from shared.backoff import delay
from shared.config import Settings
from shared.db import webhooks
from shared.db.connections import DATABASE_UNAVAILABLE
from shared.messages import (
    DELIVERY_LIMIT,
    AnyJob,
    Deliver,
    due_of,
    parse,
    publish_job,
    publish_wait,
    returns_of,
)
from shared.webhookurls import GuardedResolver, RefusedAddress, check

log = logging.getLogger(__name__)
AT_ONCE = 16  # deliveries a worker attempts at once (its webhook channel's prefetch)
TIMEOUT = 10.0  # seconds an endpoint has to answer (a 2xx within it is a success)
LEASE = timedelta(seconds=TIMEOUT + 5)  # an attempt's hold on its delivery
LONGEST_WAIT = 4 * 3600.0  # seconds between two attempts at most
ANSWER_READ = 65_536  # bytes of an answer read (and ignored)
ERROR_TEXT = 300  # characters of an error kept in the attempt log


async def catch_up(conn: asyncpg.Connection) -> list[AnyJob]:
    """A follow-up: the deliveries of events just recorded, and those whose message was lost."""
    return [Deliver(delivery) for delivery in await webhooks.to_publish(conn)]


class Sender:
    """Attempts the deliveries of the webhook queue, on one HTTP session."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, channel: AbstractChannel) -> None:
        self._pool = pool
        self._settings = settings
        self._channel = channel
        resolver = None if settings.webhook_allow_private else GuardedResolver()
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        )
        self._busy: set[asyncio.Task[None]] = set()

    async def handle(self, message: AbstractIncomingMessage) -> None:
        """One message of the webhook queue, settled."""
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(task)
        try:
            await self._handle(message)
        finally:
            self._busy.discard(task)

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        try:
            job = parse(message.body)
        except (ValueError, KeyError, TypeError):
            job = None
        if not isinstance(job, Deliver) or returns_of(message) >= DELIVERY_LIMIT - 1:
            log.error("dead-lettering webhook message %r", message.body[:200])
            await _settle(message.reject(requeue=False))
            return
        try:
            due = due_of(message)
            if due is None or not await publish_wait(self._channel, job, due, _now_ms()):
                await self._deliver(job, bool(message.redelivered))
        except (*DATABASE_UNAVAILABLE, aiohttp.ClientError, ConnectionError) as e:
            # PostgreSQL or the broker away: the message comes back (a reject counts its
            # returns, on every broker version) once they may be.
            log.warning("delivery %d handed back (%s: %s)", job.delivery, type(e).__name__, e)
            await asyncio.sleep(1.0)
            await _settle(message.reject(requeue=True))
            return
        await _settle(message.ack())

    async def _deliver(self, job: Deliver, redelivered: bool) -> None:
        async with self._pool.acquire() as conn:
            claim = await webhooks.claim(conn, job.delivery, redelivered, LEASE)
        if isinstance(claim, webhooks.Wait):
            await self._later(job, claim.until)
            return
        if claim is None:
            return
        outcome = await self._attempt(claim)
        wait = timedelta(
            seconds=delay(claim.attempts, self._settings.webhook_retry_seconds, LONGEST_WAIT)
        )
        async with self._pool.acquire() as conn:
            released, due = await webhooks.finish(conn, claim, outcome, wait)
        log.info(
            "delivery %d to %s: %s",
            claim.delivery,
            claim.url,
            "delivered" if outcome.ok else f"failed ({outcome.error})",
        )
        for delivery in released:
            await publish_job(self._channel, Deliver(delivery))
        if due is not None:
            await self._later(job, due)

    async def _later(self, job: Deliver, until: datetime) -> None:
        due = int(until.timestamp() * 1000)
        if not await publish_wait(self._channel, job, due, _now_ms()):
            await publish_job(self._channel, job)

    async def _attempt(self, claim: webhooks.Attempt) -> webhooks.Outcome:
        """POST the signed event; its status code, duration and error (None: a 2xx in time)."""
        body = (
            b'{"type":'
            + orjson.dumps(claim.type)
            + b',"timestamp":'
            + orjson.dumps(claim.at, option=orjson.OPT_UTC_Z)
            + b',"data":'
            + claim.data.encode()
            + b"}"
        )
        message_id = f"evt_{claim.event_id}" if claim.event_id else f"test_{claim.delivery}"
        sent_at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": "storemon-webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(claim.secret).sign(message_id, sent_at, body),
        }
        start = time.perf_counter()
        status = None
        try:
            await check(claim.url, self._settings.webhook_allow_private)
            async with self._http.post(
                claim.url, data=body, headers=headers, allow_redirects=False
            ) as answer:
                status = answer.status
                await answer.content.read(ANSWER_READ)
            error = None if 200 <= status < 300 else f"answered {status}"
        except RefusedAddress as e:
            error = str(e)
        except aiohttp.ClientConnectorError as e:
            error = f"could not connect: {e.os_error}"
        except TimeoutError:
            error = f"no answer within {TIMEOUT:g} s"
        except (aiohttp.ClientError, ValueError) as e:
            error = f"{type(e).__name__}: {e}"
        took = (time.perf_counter() - start) * 1000
        return webhooks.Outcome(
            status, round(took, 1), None if error is None else error[:ERROR_TEXT]
        )

    async def close(self, grace: float) -> None:
        """Let the attempts under way finish (within `grace` seconds), then close."""
        if self._busy:
            await asyncio.wait(list(self._busy), timeout=grace)
        await self._http.close()


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _settle(settling: Awaitable[object]) -> None:
    with contextlib.suppress(Exception):  # the channel is gone: the broker delivers it again
        await settling
