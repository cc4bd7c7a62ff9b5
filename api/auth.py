"""Optional bearer-token authentication of the API.

With `API_TOKEN` set (Settings.api_token), every request must carry
`Authorization: Bearer <token>`, or it is answered 401 `{"error": "…"}` with a
`WWW-Authenticate: Bearer …` header, whatever its path (unknown paths included, so they reveal
nothing). Exempt: the probes `GET /healthz` and `GET /readyz`, and the dashboard page itself
(`GET /`, static HTML with no data in it), so that it can load and ask for the token. Without a
token configured, nothing is asked for.
"""

import hmac

from aiohttp import web

from api.errors import Handler, json_response
from api.keys import SETTINGS

REALM = "storemon"
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
PAGE_PATH = "/"  # the dashboard page: exempt for GET and HEAD only


def _exempt(request: web.Request) -> bool:
    if request.path in EXEMPT_PATHS:
        return True
    return request.path == PAGE_PATH and request.method in ("GET", "HEAD")


def _bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive)."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _unauthorized(message: str, challenge: str) -> web.Response:
    response = json_response({"error": message}, 401)
    response.headers["WWW-Authenticate"] = challenge
    response.headers["Cache-Control"] = "no-store"
    return response


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison (of the UTF-8 bytes: header values may be any text)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    expected = request.app[SETTINGS].api_token
    if expected is None or _exempt(request):
        return await handler(request)
    given = _bearer(request)
    if given is None:
        return _unauthorized(
            "authentication required: send the header Authorization: Bearer <API token>",
            f'Bearer realm="{REALM}"',
        )
    if not token_matches(given, expected):
        return _unauthorized(
            "invalid bearer token", f'Bearer realm="{REALM}", error="invalid_token"'
        )
    return await handler(request)
