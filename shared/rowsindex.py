"""The rows of a finished report, for browsing: an index beside its CSV, made when the report
is assembled, read by the API a page at a time.

The index of report R is a directory `REPORTS_DIR/.rows/R/` (never served itself; a link to
the version last written, see `write`): each CSV
row's byte offset (`offsets.npy`), for each column but store_id the order of the rows sorted by
that column (`order_<column>.npy`; by store_id they are already in order), and the report's
summary (`summary.json`). The API maps the arrays (`numpy.load(mmap_mode="r")`): what a page
costs in memory does not grow with the report. A prefix of store_id is a contiguous run of rows
(they are in store_id order), found by bisection.
"""

import csv
import os
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import orjson

from shared import cursors
from shared.csvfile import (
    FILE_MODE,
    TEMP,
    fsync_directory,
    fsync_file,
    temp_prefix,
)
from shared.errors import BadInput
from shared.reportids import is_report_id
from shared.uptime.polls import Ints
from shared.uptime.summary import Summary

ROWS_DIR = ".rows"  # under REPORTS_DIR, beside .parts
_SCAN = 65_536  # positions of the sorted order looked at per step of a filtered page
MAX_ROWS = 2_000_000  # larger reports are not indexed: their CSV is the way to read them
MAX_LIMIT = 500


def index_path(reports_dir: Path, report_id: str) -> Path:
    return reports_dir / ROWS_DIR / report_id


def write(
    target: Path,
    header: Sequence[str],
    summary: Summary,
    offsets: Ints | None,
    keys: npt.NDArray[np.int32] | None,
) -> None:
    """Write the index of a report's rows: the byte offset of each row and where the last
    ends, and for each column after store_id the rows' order by `keys` (rows × columns);
    without them (a report past MAX_ROWS rows), only the summary.

    Atomically, and safe beside a duplicate assembly of the same report: the files are written
    and fsynced in a temporary directory, renamed to a version of their own
    (`.<id>.<token>`), and `target` is a symbolic link to that version, replaced by a rename.
    A reader (opening `target/…`) sees the old version or the new one, never none; the version
    replaced is removed after (a reader that has it open keeps it). Two assemblies at once each
    link their own and remove only what they replaced: the link never points to a removed
    version (at worst a version nobody links is left, removed with the report's files)."""
    rows_dir = target.parent
    rows_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=rows_dir, prefix=temp_prefix(target.name), suffix=TEMP))
    try:
        (tmp / "summary.json").write_bytes(orjson.dumps(summary.to_json()))
        if offsets is not None and keys is not None:
            np.save(tmp / "offsets.npy", offsets)
            for n, column in enumerate(header[1:]):
                np.save(tmp / f"order_{column}.npy", order_of(keys[:, n]))
        for path in tmp.iterdir():
            os.chmod(path, FILE_MODE)
            fsync_file(path)
        os.chmod(tmp, FILE_MODE | 0o111)  # mkdtemp makes it 0700
        fsync_directory(tmp)
        version = rows_dir / f".{target.name}.{secrets.token_hex(8)}"
        os.rename(tmp, version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    link = rows_dir / f"{temp_prefix(target.name)}{secrets.token_hex(8)}{TEMP}"
    os.symlink(version.name, link)  # relative: the API may mount REPORTS_DIR elsewhere
    replaced = _replaced(target)
    os.replace(link, target)
    fsync_directory(rows_dir)
    if replaced is not None and replaced != version:
        shutil.rmtree(replaced, ignore_errors=True)


def _replaced(target: Path) -> Path | None:
    """The version `target` links to now (None: no index yet). An index of an earlier format
    (a directory itself) is renamed aside first, to be removed as a version is."""
    if target.is_symlink():
        return target.parent / os.readlink(target)
    if not target.exists():
        return None
    aside = target.parent / f".{target.name}.{secrets.token_hex(8)}"
    os.rename(target, aside)
    return aside


def remove(target: Path) -> bool:
    """Remove a report's index: the link and every version of it; whether there was any."""
    found = False
    for version in target.parent.glob(f".{target.name}.*"):
        if not version.name.endswith(TEMP):  # a writer's, removed by whoever stops it
            shutil.rmtree(version, ignore_errors=True)
            found = True
    if target.is_symlink() or target.is_file():
        target.unlink(missing_ok=True)
        found = True
    elif target.is_dir():  # an index of an earlier format
        shutil.rmtree(target, ignore_errors=True)
        found = True
    return found


def indexed(reports_dir: Path) -> set[str]:
    """The reports that have an index, or a version of one left behind."""
    found = set()
    for path in (reports_dir / ROWS_DIR).glob("*"):
        name = path.name[1:].split(".", 1)[0] if path.name.startswith(".") else path.name
        if is_report_id(name) and not path.name.endswith(TEMP):
            found.add(name)
    return found


def order_of(keys: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """The positions of `keys` in stable sorted order (int32). Keys spanning fewer than 2¹⁶
    values (hundredths of a day, percents, period numbers) sort as uint16: a radix sort."""
    if len(keys) and int(keys.max()) - int(keys.min()) < 1 << 16:
        keys = (keys - keys.min()).astype(np.uint16)
    return np.argsort(keys, kind="stable").astype(np.int32)


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, str]]
    next_cursor: str | None
    matching: int  # rows of the report that `q` lets through, over all pages


class Index:
    """A report's index and CSV, opened for reading pages."""

    def __init__(self, directory: Path, csv_path: Path, header: Sequence[str]) -> None:
        self.header = list(header)
        self._csv = csv_path
        self._dir = directory
        self.offsets = np.load(directory / "offsets.npy", mmap_mode="r")

    @staticmethod
    def summary(directory: Path) -> Summary:
        return Summary.from_json(orjson.loads((directory / "summary.json").read_bytes()))

    @property
    def rows(self) -> int:
        return len(self.offsets) - 1

    def page(self, sort: str, order: str, q: str, limit: int, cursor: str | None) -> Page:
        """Up to `limit` rows sorted by `sort` (asc or desc), of store_ids starting with `q`,
        from `cursor` (None: the first page)."""
        if sort not in self.header:
            raise BadInput(f"sort must be one of {', '.join(self.header)}")
        if order not in ("asc", "desc"):
            raise BadInput("order must be asc or desc")
        if not 1 <= limit <= MAX_LIMIT:
            raise BadInput(f"limit must be from 1 to {MAX_LIMIT}")
        report = self._dir.name
        start = 0 if cursor is None else _read_cursor(cursor, report, sort, order, q, self.rows)
        with self._csv.open("rb") as f:
            lo, hi = self._prefix_rows(f, q) if q else (0, self.rows)
            positions, rows = self._scan(sort, order, lo, hi, start, limit + 1)
            shown = [self._row(f, int(i)) for i in rows[:limit]]
        more = len(rows) > limit
        after = _cursor(report, sort, order, q, int(positions[limit])) if more else None
        return Page(shown, after, hi - lo)

    def _scan(
        self, sort: str, order: str, lo: int, hi: int, start: int, wanted: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first `wanted` rows in [lo, hi) at or after position `start` of the sorted
        order: their positions there, and the rows."""
        if sort == self.header[0]:  # the CSV's own order
            ordered: np.ndarray = np.arange(self.rows, dtype=np.int64)
        else:
            ordered = np.load(self._dir / f"order_{sort}.npy", mmap_mode="r")
        if order == "desc":
            ordered = ordered[::-1]
        positions: list[np.ndarray] = []
        found = 0
        for first in range(start, len(ordered), _SCAN):
            chunk = np.asarray(ordered[first : first + _SCAN])
            hits = np.flatnonzero((chunk >= lo) & (chunk < hi))[: wanted - found]
            positions.append(first + hits)
            found += len(hits)
            if found == wanted:
                break
        at = np.concatenate(positions) if positions else np.empty(0, np.int64)
        return at, np.asarray(ordered[at]) if len(at) else at

    def rows_of(self, store_id: str) -> list[dict[str, str]]:
        """The rows of one store (one for the standard report, one per period)."""
        with self._csv.open("rb") as f:
            first = self._bisect(f, lambda found: found < store_id)
            after = self._bisect(f, lambda found: found <= store_id)
            return [self._row(f, row) for row in range(first, after)]

    def _prefix_rows(self, f: BinaryIO, q: str) -> tuple[int, int]:
        """The rows whose store_id starts with `q`: [first, after last)."""
        first = self._bisect(f, lambda store_id: store_id < q)
        after = self._bisect(f, lambda store_id: store_id < q or store_id.startswith(q))
        return first, after

    def _bisect(self, f: BinaryIO, before: Any) -> int:
        lo, hi = 0, self.rows
        while lo < hi:
            mid = (lo + hi) // 2
            if before(self._fields(f, mid)[0]):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _fields(self, f: BinaryIO, row: int) -> list[str]:
        f.seek(int(self.offsets[row]))
        record = f.read(int(self.offsets[row + 1] - self.offsets[row])).decode()
        return next(csv.reader([record]))

    def _row(self, f: BinaryIO, row: int) -> dict[str, str]:
        return dict(zip(self.header, self._fields(f, row), strict=True))


_CURSOR_FIELDS: dict[str, cursors.Types] = {"r": str, "s": str, "o": str, "q": str, "p": int}


def _cursor(report: str, sort: str, order: str, q: str, position: int) -> str:
    return cursors.encode("rows", {"r": report, "s": sort, "o": order, "q": q, "p": position})


def _read_cursor(cursor: str, report: str, sort: str, order: str, q: str, rows: int) -> int:
    """Where a page of `report` sorted by `sort`, `order`, filtered by `q`, starts."""
    data = cursors.decode(cursor, "rows", _CURSOR_FIELDS)
    if (data["r"], data["s"], data["o"], data["q"]) != (report, sort, order, q):
        raise BadInput("cursor belongs to another report, sort, order or q: ask again without it")
    if not 0 <= data["p"] <= rows:
        raise BadInput(cursors.NOT_OURS)
    return int(data["p"])
