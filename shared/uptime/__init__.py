"""The report computation: pure functions of plain values (no I/O, no clock)."""

from shared.uptime.compute import batch_rows, compute_report
from shared.uptime.localtime import local_to_utc
from shared.uptime.model import ReportRow, StoreMeta

__all__ = ["ReportRow", "StoreMeta", "batch_rows", "compute_report", "local_to_utc"]
