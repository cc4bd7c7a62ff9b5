"""The API's link to RabbitMQ: connected in the background, so the API starts (and says it
is not ready) while the broker is down, and reconnects by itself after a broker restart."""

import asyncio
import contextlib
import logging

from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from shared.backoff import keep_trying
from shared.errors import Unavailable
from shared.messages import JOB_QUEUE, Job, open_session, publish_job

log = logging.getLogger(__name__)
PUBLISH_TIMEOUT = 5.0  # seconds to wait for the broker's confirm
CLOSE_TIMEOUT = 2.0  # seconds closing the connection may take at shut-down


class BrokerLink:
    """A robust connection and a confirming channel, once the broker has been reached."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._task = asyncio.create_task(self._connect())
        self._task.add_done_callback(_report_failure)

    async def _connect(self) -> None:
        session = await keep_trying("RabbitMQ", lambda: open_session(self._url), url=self._url)
        assert session is not None  # nothing stops it: close() cancels this task
        self._connection, self._channel = session.connection, session.channel
        log.info("connected to RabbitMQ")

    @property
    def ready(self) -> bool:
        return (
            self._channel is not None
            and self._connection is not None
            and not self._connection.is_closed
            and not self._channel.is_closed
        )

    async def publish(self, job: Job) -> None:
        """Publish with a confirm; Unavailable when the broker cannot take it now."""
        if self._channel is None or not self.ready:
            raise Unavailable("message broker unavailable")
        try:
            await asyncio.wait_for(publish_job(self._channel, job), PUBLISH_TIMEOUT)
        except Exception as e:
            raise Unavailable(f"message broker unavailable: {e!r}") from e

    async def queue_depth(self) -> int | None:
        """Messages ready in the job queue, or None when the broker is unreachable."""
        if self._channel is None or not self.ready:
            return None
        try:
            queue = await asyncio.wait_for(
                self._channel.declare_queue(JOB_QUEUE, passive=True), PUBLISH_TIMEOUT
            )
        except Exception:
            return None
        count = queue.declaration_result.message_count
        return int(count) if count is not None else None

    async def close(self) -> None:
        self._task.remove_done_callback(_report_failure)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        if self._connection is not None:
            # A broker that stopped answering must not keep the API from exiting.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self._connection.close()


def _report_failure(task: asyncio.Task[None]) -> None:
    """Say why the API will stay without a broker (until restarted): an error keep_trying does
    not retry, such as queues declared elsewhere with other arguments."""
    if not task.cancelled() and task.exception() is not None:
        log.error("cannot use RabbitMQ: %r; restart the API once it is fixed", task.exception())
