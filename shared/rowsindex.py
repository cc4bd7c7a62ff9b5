"""The rows of a finished report, for browsing: an index beside its CSV, made when the report
is assembled, read by the API a page at a time.

The index of report R is a directory `REPORTS_DIR/.rows/R/` (never served itself; a link to
the version last written, see `write`): each CSV row's byte offset (`offsets.npy`), the
values served beside the CSV's columns (`extras.npy`: a standard report's percents and polls
per window), for each column but store_id the order of the rows sorted by that column
(`order_<column>.npy`; by store_id they are already in order), the stores' index (each store's
first row, its totals over the report and their orders: `stores_*.npy`), how many leading
entries of each order are empty (`meta.json`: they sort last in either order) and the
report's summary (`summary.json`). The API maps the arrays (`numpy.load(mmap_mode="r")`):
what a page costs in memory does not grow with the report. A prefix of store_id is a
contiguous run of rows (they are in store_id order), found by bisection.
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
    STANDARD_EXTRAS,
    TEMP,
    columns_of,
    fsync_directory,
    fsync_file,
    temp_prefix,
)
from shared.errors import BadInput
from shared.instants import US_PER_HOUR
from shared.reportids import is_report_id
from shared.reportparts import STORE_FIELDS
from shared.uptime.figures import hundredths, percent_hundredths, text
from shared.uptime.polls import Ints
from shared.uptime.stores import buckets
from shared.uptime.summary import Summary

ROWS_DIR = ".rows"  # under REPORTS_DIR, beside .parts
_SCAN = 65_536  # positions of the sorted order looked at per step of a filtered page
MAX_ROWS = 2_000_000  # larger reports are not indexed: their CSV is the way to read them
MAX_LIMIT = 500


def index_path(reports_dir: Path, report_id: str) -> Path:
    return reports_dir / ROWS_DIR / report_id


# The stores' orders: sort name → how its key is made from the totals (−1: empty, sorts last).
STORE_SORTS = ("uptime_percent", "downtime_hours", "uptime_hours", "business_hours", "polls")


def _store_keys(stores: dict[str, Ints]) -> dict[str, Ints]:
    up, business = stores["up"], stores["business"]
    return {
        "uptime_percent": np.where(business > 0, percent_hundredths(up, business), -1),
        "downtime_hours": hundredths(business - up, US_PER_HOUR),
        "uptime_hours": hundredths(up, US_PER_HOUR),
        "business_hours": hundredths(business, US_PER_HOUR),
        "polls": stores["polls"],
    }


def write(
    target: Path,
    columns: Sequence[str],
    summary: Summary,
    offsets: Ints | None,
    keys: npt.NDArray[np.int32] | None,
    stores: dict[str, Ints] | None = None,
) -> None:
    """Write the index of a report's rows: the byte offset of each row and where the last
    ends, for each of `columns` after store_id (the CSV's, then the extras) the rows' order by
    `keys` (rows × columns), the extras' values, and the stores' first rows, totals and
    orders (`stores`, by reportparts.STORE_FIELDS); without them (a report past MAX_ROWS
    rows), only the summary.

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
        if offsets is not None and keys is not None and stores is not None:
            np.save(tmp / "offsets.npy", offsets)
            extras = sum(column in STANDARD_EXTRAS for column in columns)
            np.save(tmp / "extras.npy", keys[:, keys.shape[1] - extras :])
            empties = {}
            for n, column in enumerate(columns[1:]):
                np.save(tmp / f"order_{column}.npy", order_of(keys[:, n]))
                empties[column] = int((keys[:, n] < 0).sum())
            for name, values in stores.items():
                np.save(tmp / f"stores_{name}.npy", values)
            np.save(tmp / "stores_bucket.npy", buckets(stores["up"], stores["business"]))
            for name, values in _store_keys(stores).items():
                np.save(tmp / f"stores_order_{name}.npy", order_of(values.astype(np.int32)))
                empties[f"stores_{name}"] = int((values < 0).sum())
            (tmp / "meta.json").write_bytes(orjson.dumps({"empties": empties}))
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


@dataclass(frozen=True)
class StoresPage:
    stores: list[dict[str, Any]]
    next_cursor: str | None
    matching: int  # stores that `q` and `bucket` let through, over all pages


class _Order:
    """An order of rows (or stores) read from `order`, in which the `empties` entries it
    starts with (empty fields) come last, in either direction."""

    def __init__(self, order: np.ndarray, empties: int, descending: bool) -> None:
        self._order, self._empties, self._descending = order, empties, descending

    def __len__(self) -> int:
        return len(self._order)

    def take(self, first: int, last: int) -> np.ndarray:
        """Entries first … last − 1 of this order."""
        n, e = len(self._order), self._empties
        filled = n - e  # the non-empty entries come first
        last = min(last, n)
        parts = []
        if first < filled:
            a, b = first, min(last, filled)
            if self._descending:
                parts.append(np.asarray(self._order[n - b : n - a])[::-1])
            else:
                parts.append(np.asarray(self._order[e + a : e + b]))
        if last > filled:
            parts.append(np.asarray(self._order[max(first, filled) - filled : last - filled]))
        return np.concatenate(parts) if parts else np.empty(0, np.int64)


def _scan(order: _Order, keep: Any, start: int, wanted: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `wanted` entries of `order` at or after position `start` that `keep` (a
    function of an array of entries) lets through: their positions, and the entries."""
    positions: list[np.ndarray] = []
    entries: list[np.ndarray] = []
    found = 0
    for first in range(start, len(order), _SCAN):
        chunk = order.take(first, first + _SCAN)
        hits = np.flatnonzero(keep(chunk))[: wanted - found]
        positions.append(first + hits)
        entries.append(chunk[hits])
        found += len(hits)
        if found == wanted:
            break
    if not positions:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(positions), np.concatenate(entries)


class Index:
    """A report's index and CSV, opened for reading pages."""

    def __init__(self, directory: Path, csv_path: Path, header: Sequence[str]) -> None:
        self.header = list(header)  # the CSV's
        self.columns = list(columns_of(header))  # as rows are served
        self._csv = csv_path
        self._dir = directory
        self.offsets = np.load(directory / "offsets.npy", mmap_mode="r")
        self._empties: dict[str, int] = orjson.loads((directory / "meta.json").read_bytes())[
            "empties"
        ]
        extras = directory / "extras.npy"
        self._extras = np.load(extras, mmap_mode="r") if self.columns != self.header else None

    @staticmethod
    def summary(directory: Path) -> Summary:
        return Summary.from_json(orjson.loads((directory / "summary.json").read_bytes()))

    @property
    def rows(self) -> int:
        return len(self.offsets) - 1

    def _order(self, file: str, empties: str, order: str, natural: int) -> _Order:
        """The order in file `file` (None: the `natural` entries in their own order, as rows
        and stores are by store_id), with the count of its empty entries named `empties`."""
        if file.endswith("store_id"):
            ordered: np.ndarray = np.arange(natural, dtype=np.int64)
        else:
            ordered = np.load(self._dir / f"{file}.npy", mmap_mode="r")
        return _Order(ordered, self._empties.get(empties, 0), order == "desc")

    def page(self, sort: str, order: str, q: str, limit: int, cursor: str | None) -> Page:
        """Up to `limit` rows sorted by `sort` (asc or desc; empty fields last), of store_ids
        starting with `q`, from `cursor` (None: the first page)."""
        _check(sort, self.columns, order, limit)
        report = self._dir.name
        start = 0 if cursor is None else _read_cursor(cursor, report, sort, order, q, self.rows)
        with self._csv.open("rb") as f:
            lo, hi = self._prefix_rows(f, q) if q else (0, self.rows)
            positions, rows = _scan(
                self._order(f"order_{sort}", sort, order, self.rows),
                lambda chunk: (chunk >= lo) & (chunk < hi),
                start,
                limit + 1,
            )
            shown = [self._row(f, int(i)) for i in rows[:limit]]
        more = len(rows) > limit
        after = _cursor(report, sort, order, q, int(positions[limit])) if more else None
        return Page(shown, after, hi - lo)

    def stores_page(
        self, sort: str, order: str, q: str, bucket: int | None, limit: int, cursor: str | None
    ) -> StoresPage:
        """Up to `limit` stores sorted by `sort` (one of STORE_SORTS or store_id; asc or desc,
        stores without business time last by percent), of store_ids starting with `q` and, with
        `bucket`, in that histogram bucket (−1: no business time), from `cursor`."""
        _check(sort, ["store_id", *STORE_SORTS], order, limit)
        report = self._dir.name
        arrays = {
            name: np.load(self._dir / f"stores_{name}.npy", mmap_mode="r")
            for name in ("first_row", "bucket", *STORE_FIELDS)
        }
        first_row, in_bucket = arrays["first_row"], arrays["bucket"]
        stores = len(first_row)
        where = f"{sort}:{'' if bucket is None else bucket}"
        start = 0 if cursor is None else _read_cursor(cursor, report, where, order, q, stores)
        with self._csv.open("rb") as f:
            lo, hi = self._prefix_rows(f, q) if q else (0, self.rows)
            lo_store, hi_store = (int(i) for i in np.searchsorted(first_row, [lo, hi]))

            def keep(chunk: np.ndarray) -> np.ndarray:
                kept = (chunk >= lo_store) & (chunk < hi_store)
                return kept if bucket is None else kept & (np.asarray(in_bucket[chunk]) == bucket)

            ordered = self._order(f"stores_order_{sort}", f"stores_{sort}", order, stores)
            positions, found = _scan(ordered, keep, start, limit + 1)
            shown = [self._store(f, arrays, int(i)) for i in found[:limit]]
        more = len(found) > limit
        after = _cursor(report, where, order, q, int(positions[limit])) if more else None
        within = np.asarray(in_bucket[lo_store:hi_store])
        matching = len(within) if bucket is None else int((within == bucket).sum())
        return StoresPage(shown, after, matching)

    def _store(self, f: BinaryIO, arrays: dict[str, np.ndarray], store: int) -> dict[str, Any]:
        """One store's entry of the ranking."""
        value = {name: int(column[store]) for name, column in arrays.items()}
        up, business = value["up"], value["business"]
        entry: dict[str, Any] = {
            "store_id": self._fields(f, value["first_row"])[0],
            "business_hours": hundredths(business, US_PER_HOUR) / 100,
            "uptime_hours": hundredths(up, US_PER_HOUR) / 100,
            "downtime_hours": hundredths(business - up, US_PER_HOUR) / 100,
            "uptime_percent": percent_hundredths(up, business) / 100 if business else None,
            "polls": value["polls"],
            "bucket": value["bucket"] if value["bucket"] >= 0 else None,
        }
        if "period_start" in self.header:
            worst = value["worst_period"]
            entry["worst_period"] = (
                None
                if worst < 0
                else {
                    "period_start": self.periods()[worst],
                    "uptime_percent": value["worst_percent"] / 100,
                }
            )
        return entry

    def periods(self) -> list[str]:
        """A period report's period starts, in order (its summary's names)."""
        return list(self.summary(self._dir).totals)

    def rows_of(self, store_id: str) -> list[dict[str, str]]:
        """The CSV rows of one store (one for the standard report, one per period)."""
        with self._csv.open("rb") as f:
            first = self._bisect(f, lambda found: found < store_id)
            after = self._bisect(f, lambda found: found <= store_id)
            return [self._row(f, row, extras=False) for row in range(first, after)]

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

    def _row(self, f: BinaryIO, row: int, extras: bool = True) -> dict[str, str]:
        """A row's CSV fields, and with `extras` what is served beside them."""
        found = dict(zip(self.header, self._fields(f, row), strict=True))
        names = self.columns[len(self.header) :]
        if extras and self._extras is not None:
            for name, value in zip(names, self._extras[row].tolist(), strict=True):
                found[name] = str(value) if name.startswith("polls") else text_of(value)
        return found


def text_of(hundredths_value: int) -> str:
    """Hundredths as the CSV writes them (−1: empty)."""
    return text(np.array([hundredths_value], np.int64))[0]


def stores_below(directory: Path, target_percent: float) -> int | None:
    """How many stores of an indexed report have business time and an exact uptime percent
    below `target_percent` (hundredths at most); None for a report too large to index."""
    if not (directory / "stores_up.npy").is_file():
        return None
    up = np.load(directory / "stores_up.npy", mmap_mode="r")
    business = np.load(directory / "stores_business.npy", mmap_mode="r")
    target = round(target_percent * 100)  # 100 × 100 × up < target × business, in integers
    return int(((business > 0) & (10_000 * np.asarray(up) < target * np.asarray(business))).sum())


def _check(sort: str, columns: Sequence[str], order: str, limit: int) -> None:
    if sort not in columns:
        raise BadInput(f"sort must be one of {', '.join(columns)}")
    if order not in ("asc", "desc"):
        raise BadInput("order must be asc or desc")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit must be from 1 to {MAX_LIMIT}")


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
