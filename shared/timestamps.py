"""Parsing an instant given by a user (a report's as_of)."""

from datetime import UTC, datetime

from shared.errors import BadInput


def parse_as_of(text: str) -> datetime:
    """ISO 8601 (`2023-01-25T18:13:22Z`, any offset; no offset means UTC) → aware UTC."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"as_of {text!r} is not an ISO 8601 timestamp") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)
