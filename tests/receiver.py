"""A webhook endpoint on a loopback port for the tests: it verifies each request's Standard
Webhooks signature with the package's own `verify` and keeps what it accepted."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook

from tests.services import free_port


class Receiver:
    """An endpoint on 127.0.0.1 that verifies each request's signature; with `hold`, holds
    every request that comes before `passing` is set until released (then answers 500, to a
    worker that is gone: `held` counts them); answers 500 to the `failures` after them, then
    200."""

    def __init__(self, hold: bool = False, failures: int = 0) -> None:
        self.secret = ""
        self.port = free_port()
        self.accepted: list[dict[str, Any]] = []  # bodies answered 2xx, in order
        self.requests = 0
        self.bad_signatures = 0
        self.held = 0
        self.release = asyncio.Event()
        self.passing = asyncio.Event()
        self._hold, self._failures = hold, failures

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except Exception:
            self.bad_signatures += 1
            return web.Response(status=400)
        self.requests += 1
        if self._hold and not self.passing.is_set():
            self.held += 1
            await self.release.wait()
            return web.Response(status=500)  # to a worker that is gone
        if self._failures > 0:
            self._failures -= 1
            return web.Response(status=500)
        payload = await request.json()
        self.accepted.append(payload | {"webhook-id": request.headers["webhook-id"]})
        return web.Response(status=204)


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        await runner.cleanup()
