"""Report rows as columns, the shape in which a worker writes them: each row's store and, for
every column after store_id, its text as the CSV shows it and an integer that sorts like it
(for the index of the rows: no CSV field is parsed back)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from shared.uptime.figures import text
from shared.uptime.polls import Ints

R = TypeVar("R")


@dataclass(frozen=True)
class Column:
    texts: list[str]
    keys: Ints


def hundredths_column(values: Ints) -> Column:
    """Hundredths (−1: an empty field, sorted first) as text, sorted by value."""
    return Column(text(values), values)


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
        texts = [column.texts for column in self.columns]
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
