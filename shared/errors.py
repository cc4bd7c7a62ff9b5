"""The few named errors of the service; the API maps them to HTTP in one place."""


class StoremonError(Exception):
    """Base of the service's own errors."""


class BadInput(StoremonError):
    """Input the service refuses: a malformed file row, a bad as_of."""


class FileRowError(BadInput):
    """A malformed row of an ingest file, with where and why."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}, line {line}: {reason}")
        self.file, self.line, self.reason = file, line, reason


class Conflict(StoremonError):
    """A request that contradicts the state it meets: an Idempotency-Key used with other
    parameters, cancelling a finished report."""


class ConfigError(StoremonError):
    """A setting the service cannot run with: a malformed variable, a missing directory."""


class SchemaOutOfDate(StoremonError):
    """The database schema is older than this code; run `storemon migrate`."""


class Unavailable(StoremonError):
    """A backing service (PostgreSQL, RabbitMQ) cannot be reached."""
