"""Page cursors: the one codec of every paged route (`/api/reports`, `/reports/{id}/rows`).

A cursor is `<payload>.<check>`, both base64url without padding: the payload a JSON object of
the route's own fields (where the page ended, the filters it was made for), the check the first
8 bytes of its BLAKE2b digest keyed by the route's kind. Cursors are no secret and grant nothing
(every page can be reached from the first): the check is there so that a truncated, edited or
other route's cursor is a 400 that says so, never a position read from whatever it holds.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

import orjson

from shared.errors import BadInput

MAX_LENGTH = 1024  # characters: ours are well under 200
NOT_OURS = "cursor is not one this API gave: ask again without it"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_CHECK_BYTES = 8

Value = str | int | None
Types = type | tuple[type, ...]


def encode(kind: str, fields: Mapping[str, Value]) -> str:
    """The cursor of `fields` (strings, integers, None) for the route `kind`."""
    payload = orjson.dumps(dict(fields))
    return f"{_b64(payload)}.{_b64(_check(kind, payload))}"


def decode(cursor: str, kind: str, fields: Mapping[str, Types]) -> dict[str, Any]:
    """The fields of a cursor `encode(kind, …)` gave: exactly the names of `fields`, each of its
    type (an int is never a bool). BadInput for anything else."""
    if len(cursor) > MAX_LENGTH or cursor.count(".") != 1:
        raise BadInput(NOT_OURS)
    payload_text, check_text = cursor.split(".")
    payload, check = _unb64(payload_text), _unb64(check_text)
    if not hmac.compare_digest(check, _check(kind, payload)):
        raise BadInput(NOT_OURS)
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise BadInput(NOT_OURS) from None
    if not isinstance(data, dict) or data.keys() != fields.keys():
        raise BadInput(NOT_OURS)
    for name, types in fields.items():
        if not isinstance(data[name], types) or isinstance(data[name], bool):
            raise BadInput(NOT_OURS)
    return data


def _check(kind: str, payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_CHECK_BYTES, key=kind.encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise BadInput(NOT_OURS)
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(NOT_OURS) from None
