"""Parsing an instant given by a user (a report's as_of)."""

from datetime import UTC, datetime

from shared.errors import BadInput

# Instants PostgreSQL and Python both handle as ordinary values (not ±infinity, no overflow).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def parse_as_of(text: str) -> datetime:
    """ISO 8601 (`2023-01-25T18:13:22Z`, any offset; no offset means UTC) → aware UTC, between
    1970 and 9000; BadInput otherwise."""
    if not text.isprintable():
        raise BadInput("as_of holds control characters")
    try:
        instant = datetime.fromisoformat(text.strip())
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        instant = instant.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadInput(f"as_of {text!r} is not an ISO 8601 timestamp") from None
    if not EARLIEST <= instant < LATEST:
        raise BadInput(f"as_of {text!r} is outside {EARLIEST:%Y} to {LATEST:%Y}")
    return instant
