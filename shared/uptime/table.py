"""Report rows as columns, the shape in which a worker writes them: each row's store and, for
every column after store_id, its text as the CSV shows it and an integer that sorts like it
(for the index of the rows: no CSV field is parsed back).

A column's texts are an Arrow array of strings, gathered from a table of every text the column
can show: hundreds of thousands of rows are formatted by a gather and joined into CSV lines by
one Arrow kernel (shared/csvfile.py `table_lines`), not a Python string per field."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pyarrow as pa

from shared.uptime.polls import Ints

R = TypeVar("R")
TEXT = pa.large_string()  # 64-bit offsets: a shard's CSV may pass 2 GB


@dataclass(frozen=True)
class Column:
    """`texts`: each row's text (an Arrow array of TEXT); `keys` sort like the texts."""

    texts: pa.Array
    keys: Ints

    def strings(self) -> list[str]:
        return list(self.texts.to_pylist())


def _integer(value: int) -> str:
    """An integer ≥ 0 as text (`12`), −1 as nothing."""
    return str(value) if value >= 0 else ""


def _hundredth(value: int) -> str:
    """Hundredths as `1.50` (never `1.5`), −1 as nothing."""
    return f"{value // 100}.{value % 100:02d}" if value >= 0 else ""


_LOOKUP = 1 << 17  # values formatted once and looked up: hundredths up to 1310.71 (8 weeks
# of hours), polls up to 131,071; one more row, for −1.


@functools.cache
def _table_of(format_: Callable[[int], str]) -> pa.Array:
    return pa.array([format_(v) for v in range(_LOOKUP)] + [format_(-1)], TEXT)


def _formatted(values: Ints, format_: Callable[[int], str]) -> Column:
    if len(values) and (values.min() < -1 or values.max() >= _LOOKUP):
        return Column(pa.array([format_(v) for v in values.tolist()], TEXT), values)
    return Column(_table_of(format_).take(np.where(values < 0, _LOOKUP, values)), values)


def integer_column(values: Ints) -> Column:
    """Integers ≥ 0 (−1: an empty field) as text (`12`), sorted by value."""
    return _formatted(values, _integer)


def hundredths_column(values: Ints) -> Column:
    """Hundredths (−1: an empty field, sorted first) as text, `1.50` (never `1.5`), sorted by
    value."""
    return _formatted(values, _hundredth)


def label_column(labels: Sequence[str], index: Ints) -> Column:
    """Labels (`labels[i]` for each row's `index` i), sorted by index."""
    return Column(pa.array(labels, TEXT).take(index), index)


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
        texts = [column.strings() for column in self.columns]
        return [
            row(store_ids[s], *values)
            for s, *values in zip(self.store.tolist(), *texts, strict=True)
        ]

    def runs(self) -> tuple[Ints, Ints]:
        """The stores that have rows, in order, and how many rows each has."""
        if not len(self.store):
            return self.store, self.store
        starts = np.r_[0, np.flatnonzero(np.diff(self.store)) + 1]
        counts: Ints = np.diff(np.r_[starts, len(self.store)])
        return self.store[starts], counts

    def keys(self) -> Ints:
        """The sort keys as one array, rows × (columns, then extras)."""
        keys = [c.keys for c in self.columns] + self.extras
        return np.stack(keys, axis=1).astype(np.int64)
