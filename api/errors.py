"""Every error the API answers is JSON: one middleware maps exceptions to responses."""

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from shared.errors import BadInput, Conflict, Unavailable

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(body: Any, status: int = 200) -> web.Response:
    """orjson-encoded JSON; datetimes as ISO 8601 with a Z."""
    return web.Response(
        body=orjson.dumps(body, option=orjson.OPT_UTC_Z),
        status=status,
        content_type="application/json",
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadInput as e:
        return json_response({"error": str(e)}, 400)
    except Unavailable as e:
        return json_response({"error": str(e)}, 503)
    except Conflict as e:
        return json_response({"error": str(e)}, 409)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        body = {"error": e.reason}
        if e.status == 404:  # e.g. an id with slashes, normalised to another path by the client
            body["status"] = "Not Found"
        response = json_response(body, e.status)
        if "Allow" in e.headers:  # a 405 says which methods the path takes
            response.headers["Allow"] = e.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"error": "internal error"}, 500)


_plain_handle_error = RequestHandler.handle_error


def _json_handle_error(
    self: RequestHandler,
    request: BaseRequest,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """RequestHandler.handle_error answering JSON: it logs and closes the connection as
    before, but the body is `{"error": …}` like every other answer."""
    plain = _plain_handle_error(self, request, status, exc, message)
    error = HTTPStatus(status).phrase
    if status < 500 and exc is not None:  # what the parser refused, in a few words
        error = f"{error}: {str(getattr(exc, 'message', exc))[:200]}"
    response = json_response({"error": error}, status)
    if plain.keep_alive is False:
        response.force_close()
    return response


def answer_protocol_errors_in_json() -> None:
    """Errors found before a request reaches the application (an over-long URL or header, a
    malformed request line) are answered by aiohttp's RequestHandler.handle_error, in plain
    text, where no middleware sees them; make that JSON too. Process-wide and idempotent."""
    RequestHandler.handle_error = _json_handle_error  # type: ignore[method-assign]
