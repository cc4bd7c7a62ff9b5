"""Report rows as columns, the shape in which a worker writes them: each row's store and, for
every column after store_id, its text as the CSV shows it and an integer that sorts like it
(for the index of the rows: no CSV field is parsed back).

A column's texts are held as bytes, one row of a matrix per field, right-aligned, with each
field's length: hundreds of thousands of rows are formatted and joined into CSV lines by array
operations (shared/csvfile.py `table_lines`), not a Python string per field."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from shared.uptime.polls import Ints

R = TypeVar("R")
Bytes = npt.NDArray[np.uint8]
_DIGITS = 19  # an int64's decimal digits at most


@dataclass(frozen=True)
class Column:
    """`chars` (rows × width): each row's text right-aligned (what precedes it is not
    text), `lengths` its length in bytes; `keys` sort like the texts."""

    chars: Bytes
    lengths: Ints
    keys: Ints

    def texts(self) -> list[str]:
        width = self.chars.shape[1]
        return [
            bytes(row[width - n :]).decode() if n else ""
            for row, n in zip(self.chars, self.lengths.tolist(), strict=True)
        ]


def _digits(values: Ints, width: int) -> Bytes:
    """The last `width` decimal digits of each value ≥ 0, zero-padded (rows × width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    found: Bytes = ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
    return found


def _length(values: Ints) -> Ints:
    """The number of decimal digits of each value ≥ 0 (1 for 0)."""
    found: Ints = np.searchsorted(10 ** np.arange(1, _DIGITS, dtype=np.int64), values, "right") + 1
    return found


def _integers(values: Ints) -> tuple[Bytes, Ints]:
    """Integers ≥ 0 as text (`12`), −1 as nothing."""
    width = int(_length(values).max()) if len(values) else 1
    return _digits(values, width), np.where(values >= 0, _length(values), 0)


def _hundredths(values: Ints) -> tuple[Bytes, Ints]:
    """Hundredths as `1.50` (never `1.5`), −1 as nothing."""
    whole = np.maximum(values, 0) // 100
    width = int(_length(whole).max()) if len(values) else 1
    chars = np.empty((len(values), width + 3), np.uint8)
    chars[:, :width] = _digits(whole, width)
    chars[:, width] = ord(".")
    chars[:, width + 1 :] = _digits(np.maximum(values, 0) % 100, 2)
    return chars, np.where(values >= 0, _length(whole) + 3, 0)


_LOOKUP = 1 << 17  # values formatted once and looked up: hundredths up to 1310.71 (8 weeks
# of hours), polls up to 131,071; one more row, for −1 (an index that reads the last row).


@functools.cache
def _table_of(format_: Callable[[Ints], tuple[Bytes, Ints]]) -> tuple[Bytes, Ints]:
    return format_(np.r_[np.arange(_LOOKUP), -1])


def _formatted(values: Ints, format_: Callable[[Ints], tuple[Bytes, Ints]]) -> Column:
    if len(values) and (values.min() < -1 or values.max() >= _LOOKUP):
        return Column(*format_(values), values)
    chars, lengths = _table_of(format_)
    return Column(chars[values], lengths[values], values)


def integer_column(values: Ints) -> Column:
    """Integers ≥ 0 (−1: an empty field) as text (`12`), sorted by value."""
    return _formatted(values, _integers)


def hundredths_column(values: Ints) -> Column:
    """Hundredths (−1: an empty field, sorted first) as text, `1.50` (never `1.5`), sorted by
    value."""
    return _formatted(values, _hundredths)


def label_column(labels: Sequence[str], index: Ints) -> Column:
    """Labels (`labels[i]` for each row's `index` i), sorted by index."""
    encoded = [label.encode() for label in labels]
    width = max(map(len, encoded), default=1)
    chars = np.frombuffer(b"".join(e.rjust(width) for e in encoded), np.uint8)
    chars = chars.reshape(len(encoded), width)
    sizes = np.array([len(e) for e in encoded], np.int64)
    return Column(chars[index], sizes[index], index)


def run_starts(values: Ints) -> Ints:
    """Where each run of equal values begins (none for no values)."""
    if not len(values):
        return values
    found: Ints = np.r_[0, np.flatnonzero(np.diff(values)) + 1]
    return found


@dataclass(frozen=True)
class Table:
    """Rows grouped by store, stores in batch order (the order of their store_ids): the CSV's
    columns after store_id, and `extras`, values the API serves beside them (not in the CSV),
    each its own sort key (−1: none, an empty field)."""

    store: Ints  # batch index of each row's store
    columns: list[Column]
    extras: list[Ints] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.store)

    def rows(self, store_ids: Sequence[str], row: Callable[..., R]) -> list[R]:
        """The rows as values of `row` (a named tuple: store_id, then the columns)."""
        texts = [column.texts() for column in self.columns]
        return [
            row(store_ids[s], *values)
            for s, *values in zip(self.store.tolist(), *texts, strict=True)
        ]

    def runs(self) -> tuple[Ints, Ints]:
        """The stores that have rows, in order, and how many rows each has."""
        starts = run_starts(self.store)
        counts: Ints = np.diff(np.r_[starts, len(self.store)])
        return self.store[starts], counts

    def keys(self) -> Ints:
        """The sort keys as one array, rows × (columns, then extras)."""
        keys = [c.keys for c in self.columns] + self.extras
        return np.stack(keys, axis=1).astype(np.int64)
