"""Every error the API answers is JSON: one middleware maps exceptions to responses."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from shared.errors import BadInput, Unavailable

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
