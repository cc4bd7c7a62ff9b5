"""Instants as integer microseconds since the Unix epoch (UTC): the units, the conversions, and
the parsing of an instant a user gives (a report's as_of)."""

from datetime import UTC, date, datetime, time, timedelta

from shared.errors import BadInput

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = EPOCH.date()
# Instants PostgreSQL and Python both handle as ordinary values (not ±infinity, no overflow).
EARLIEST = EPOCH
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def to_us(instant: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (instant - EPOCH) // MICROSECOND


def from_us(us: int) -> datetime:
    """Aware UTC datetime of microseconds since the Unix epoch."""
    return EPOCH + timedelta(microseconds=us)


def micros_of_day(local: time) -> int:
    """Microseconds after midnight of a wall-clock time."""
    seconds = (local.hour * 60 + local.minute) * 60 + local.second
    return seconds * US_PER_SECOND + local.microsecond


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH_DATE).days


def day_date(number: int) -> date:
    """The date `number` days after 1970-01-01."""
    return EPOCH_DATE + timedelta(days=number)


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
