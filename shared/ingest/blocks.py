"""A polls file's rows set aside by block of store keys, in temporary files (in `TMPDIR`), so
that each block's rows come back together, in file order, with memory bounded by one block."""

import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, Self

import numpy as np

from shared.pollchunks import STORE_BLOCK
from shared.uptime.polls import Bools, Ints, Polls

_ROW = np.dtype([("store", "<i4"), ("ts", "<i8"), ("active", "u1")])  # 13 bytes a poll


class BlockFiles:
    """Rows in, grouped by block out; counts the rows, their stores and the latest instant."""

    def __init__(self) -> None:
        self._files: dict[int, BinaryIO] = {}
        self._stores: set[int] = set()
        self.rows = 0
        self.first_us: int | None = None
        self.last_us: int | None = None

    @property
    def stores(self) -> int:
        """Distinct stores seen."""
        return len(self._stores)

    def add(self, keys: Ints, micros: Ints, active: Bools) -> None:
        """Rows in file order (store keys, µs since the epoch, statuses)."""
        if len(keys) == 0:
            return
        rows = np.empty(len(keys), _ROW)
        rows["store"], rows["ts"], rows["active"] = keys, micros, active
        block = keys // STORE_BLOCK
        if block.min() == block.max():  # the common case: no reordering
            rows.tofile(self._file(int(block[0])))
        else:
            order = np.argsort(block, kind="stable")  # within a block, still in file order
            block, rows = block[order], rows[order]
            bounds = np.flatnonzero(np.diff(block)) + 1
            for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(block)], strict=True):
                rows[lo:hi].tofile(self._file(int(block[lo])))
        # A store's polls mostly come together: the set needs only the first of each run.
        self._stores.update(keys[np.r_[True, keys[1:] != keys[:-1]]].tolist())
        self.rows += len(keys)
        low, high = int(micros.min()), int(micros.max())
        self.first_us = low if self.first_us is None else min(self.first_us, low)
        self.last_us = high if self.last_us is None else max(self.last_us, high)

    def _file(self, block: int) -> BinaryIO:
        if block not in self._files:
            self._files[block] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        return self._files[block]

    def blocks(self) -> Iterator[tuple[int, Polls]]:
        """Each block's rows, in file order, block by block."""
        for block in sorted(self._files):
            f = self._files[block]
            f.seek(0)
            rows = np.fromfile(f, _ROW)
            yield (
                block,
                Polls(
                    rows["store"].astype(np.int64), rows["ts"].astype(np.int64), rows["active"] != 0
                ),
            )

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
