"""The report CSV: its header, its rows, and the atomic write into the reports directory."""

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from shared.report.model import ReportRow

HEADER = ReportRow._fields
_SPECIAL = re.compile(r'[,"\n\r]')
_REPORT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_report_id(text: str) -> bool:
    """True for a lowercase canonical UUID, the only form of report id."""
    return _REPORT_ID.fullmatch(text) is not None


def report_path(reports_dir: Path, report_id: str) -> Path:
    """Where report `report_id`'s CSV lives; ValueError for anything but a report id."""
    if not is_report_id(report_id):
        raise ValueError(f"not a report id: {report_id!r}")
    return reports_dir / f"{report_id}.csv"


def csv_lines(rows: Iterable[Sequence[str]]) -> bytes:
    """CSV lines for `rows`, LF-terminated. Only the first field, the opaque store_id, can
    hold a comma or a quote (the others are numbers); such an id is quoted."""
    return "".join(f"{_quoted(row[0])},{','.join(row[1:])}\n" for row in rows).encode()


def _quoted(value: str) -> str:
    if _SPECIAL.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


class ReportFile:
    """Writes a report CSV durably: to a temp file in the same directory, then on `commit()`
    fsync, rename to `<report_id>.csv` and fsync the directory. Without a commit (an error,
    a crash) no `<report_id>.csv` appears; the temp name never looks like one."""

    def __init__(self, reports_dir: Path, report_id: str) -> None:
        self.path = report_path(reports_dir, report_id)
        self.rows = 0
        reports_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=reports_dir, prefix=f".{report_id}.", suffix=".tmp")
        self._tmp = Path(tmp)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._file.write(csv_lines([HEADER]))

    def write(self, rows: list[ReportRow]) -> None:
        self._file.write(csv_lines(rows))
        self.rows += len(rows)

    def commit(self) -> Path:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return self.path

    def __enter__(self) -> "ReportFile":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)
