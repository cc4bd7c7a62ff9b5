"""Structured logs: one JSON object per line, with the report id on every line about a report.

The report id travels in a context variable set where a report's work begins (an API request
about it, a worker job), so every line logged meanwhile carries it without passing it around.
"""

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

REPORT_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("report_id", default=None)


class JsonFormatter(logging.Formatter):
    """`{"ts": …, "level": …, "logger": …, "msg": …, "report_id": …}`, plus any exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        report_id = getattr(record, "report_id", None) or REPORT_ID.get()
        if report_id:
            line["report_id"] = report_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure(level: int = logging.INFO) -> None:
    """Send every log line to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
