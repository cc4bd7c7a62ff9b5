"""The report CSV: its header, its rows, and the atomic write into the reports directory."""

import contextlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

import numpy as np

from shared.errors import ConfigError
from shared.reportids import is_report_id
from shared.uptime.model import PeriodRow, ReportRow
from shared.uptime.polls import Ints
from shared.uptime.table import Table, label_column

HEADER = ReportRow._fields  # the standard report
PERIOD_HEADER = PeriodRow._fields  # a period report
# What the API serves with each row of a standard report besides the CSV's columns.
STANDARD_EXTRAS = tuple(
    f"{what}_{window}"
    for what in ("uptime_percent", "polls")
    for window in ("last_hour", "last_day", "last_week")
)


def columns_of(header: Sequence[str]) -> tuple[str, ...]:
    """A report's columns as its rows are served: the CSV's, then its extras."""
    return (*header, *STANDARD_EXTRAS) if tuple(header) == HEADER else tuple(header)


_SPECIAL = re.compile(r'[,"\n\r]')


def require_reports_dir(path: Path) -> None:
    """ConfigError unless `path` is a directory this process can write in (a missing one is not
    made here: on a shared volume that would hide a volume that is not mounted)."""
    if not path.exists():
        raise ConfigError(f"REPORTS_DIR {path} does not exist: create it, or mount the volume")
    if not path.is_dir():
        raise ConfigError(f"REPORTS_DIR {path} is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"REPORTS_DIR {path} is not writable by this process")


def report_path(reports_dir: Path, report_id: str) -> Path:
    """Where report `report_id`'s CSV lives; ValueError for anything but a report id."""
    if not is_report_id(report_id):
        raise ValueError(f"not a report id: {report_id!r}")
    return reports_dir / f"{report_id}.csv"


def csv_lines(rows: Iterable[Sequence[str]]) -> bytes:
    """CSV lines for `rows`, LF-terminated. Only the first field, the opaque store_id, can
    hold a comma or a quote (the others are numbers); such an id is quoted."""
    return "".join(f"{_quoted(row[0])},{','.join(row[1:])}\n" for row in rows).encode()


def table_lines(table: Table, store_ids: Sequence[str]) -> tuple[bytes, Ints]:
    """The CSV lines of `table` (its stores index `store_ids`) and each one's length in bytes:
    the fields of every row side by side in one matrix of bytes, with the commas and the
    newline, and each row's bytes picked out of it by their lengths."""
    rows = len(table)
    if not rows:
        return b"", np.zeros(0, np.int64)
    fields = [label_column([_quoted(s) for s in store_ids], table.store), *table.columns]
    width = sum(column.chars.shape[1] + 1 for column in fields)
    chars = np.empty((rows, width), np.uint8)
    kept = np.empty((rows, width), bool)
    lengths = np.full(rows, len(fields), np.int64)  # a comma or the newline after each field
    at = 0
    for i, column in enumerate(fields):
        w = column.chars.shape[1]
        chars[:, at : at + w] = column.chars
        chars[:, at + w] = ord("," if i < len(fields) - 1 else "\n")
        if column.lengths.min() == w:  # every text fills the width (ids, dates): all kept
            kept[:, at : at + w] = True
        else:
            np.greater_equal(np.arange(w), w - column.lengths[:, None], out=kept[:, at : at + w])
        kept[:, at + w] = True
        lengths += column.lengths
        at += w + 1
    return chars[kept].tobytes(), lengths


def _quoted(value: str) -> str:
    if _SPECIAL.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


class AtomicFile:
    """A file that appears whole or not at all: written to a temp name in the same directory,
    then on `commit()` fsynced, renamed to `target` and the directory fsynced. Without a
    commit (an error, a crash) `target` does not change; the temp name starts with a dot and
    ends in `.tmp`, so it never looks like `<report_id>.csv`, and names its writer
    (`writer_tag`: whoever kills a writer removes what it left). Its mode is what the process's
    umask gives a new file (0644 by default: the API may run as another user than the
    workers). An OSError names the file it failed on."""

    def __init__(self, target: Path) -> None:
        self.path = target
        with _naming(target.parent):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=target.parent, prefix=temp_prefix(target.stem), suffix=TEMP
            )
            os.fchmod(fd, FILE_MODE)  # mkstemp makes it 0600
        self._tmp = Path(tmp)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self.size = 0  # bytes written

    def write(self, data: bytes) -> None:
        with _naming(self._tmp):
            self._file.write(data)
        self.size += len(data)

    def commit(self) -> Path:
        with _naming(self._tmp):
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._tmp, self.path)
        fsync_directory(self.path.parent)
        return self.path

    def __enter__(self) -> Self:
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


TEMP = ".tmp"  # the end of every temporary name


def writer_tag(pid: int | None = None) -> str:
    """What names a writing process (this one by default) in its temporary files: host and pid
    (REPORTS_DIR may be shared by hosts)."""
    return f"{socket.gethostname()}-{os.getpid() if pid is None else pid}"


def temp_prefix(name: str) -> str:
    """The start of a temporary name for `name` written by this process (never a report id's
    form: it starts with a dot)."""
    return f".{name}.{writer_tag()}."


def remove_temps(directory: Path, writer: str) -> int:
    """Remove the temporary files and directories that `writer` (a `writer_tag`) left in
    `directory` (it was killed while writing); how many."""
    removed = 0
    for path in directory.glob(f".*.{writer}.*{TEMP}"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def fsync_file(path: Path) -> None:
    """Make a file's content durable (before it is renamed into place)."""
    _fsync(path)


def fsync_directory(directory: Path) -> None:
    """Make a rename or removal in `directory` durable."""
    _fsync(directory)


def _fsync(path: Path) -> None:
    """fsync a file or a directory, opened read-only (which both allow)."""
    with _naming(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Re-raise an OSError that does not say which file it is about with `path` in it."""
    try:
        yield
    except OSError as e:
        if e.filename is None:
            raise type(e)(e.errno, e.strerror, str(path)) from e
        raise


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: read by setting it, and set it back at once
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what the umask gives a new file (0644 by default)
