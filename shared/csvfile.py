"""The report CSV: its header, its rows, and the atomic write into the reports directory."""

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from shared.report.model import ReportRow

HEADER = ReportRow._fields
_REPORT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_report_id(text: str) -> bool:
    """True for a lowercase canonical UUID, the only form of report id."""
    return _REPORT_ID.fullmatch(text) is not None


def report_path(reports_dir: Path, report_id: str) -> Path:
    """Where report `report_id`'s CSV lives; ValueError for anything but a report id."""
    if not is_report_id(report_id):
        raise ValueError(f"not a report id: {report_id!r}")
    return reports_dir / f"{report_id}.csv"


def csv_bytes(rows: Iterable[ReportRow]) -> bytes:
    """The CSV text: header then rows, LF line ends (ids never hold a comma: they are trimmed
    opaque ids, but quote one that does)."""
    lines = [",".join(HEADER)]
    lines.extend(",".join(map(_field, row)) for row in rows)
    return ("\n".join(lines) + "\n").encode()


def _field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_report(reports_dir: Path, report_id: str, rows: Iterable[ReportRow]) -> Path:
    """Write the CSV durably: temp file in the same directory, fsync, rename, fsync the directory.

    The temp name starts with a dot and ends in `.tmp`, so it never looks like `<uuid>.csv`.
    """
    target = report_path(reports_dir, report_id)
    reports_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=reports_dir, prefix=f".{report_id}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(csv_bytes(rows))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(reports_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target
