"""Rows written in PostgreSQL's binary COPY format with NumPy, column by column: the way to
store many small rows (a business-hours snapshot) without a Python object per value. Each row is
its fixed-width fields and texts laid out in turn; each run of fixed-width fields is one NumPy
record, put into place for all rows at once."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shared.db.binarycopy import HEADER, TRAILER, TYPES

_LENGTH = np.dtype(">i4")  # each field's length, before its bytes
_SLICE = 8192  # rows placed at once
# The fixed-width types whose values are written as given (time: µs after midnight).
_FIXED = {kind: np.dtype(TYPES[kind]) for kind in ("int2", "int4", "int8", "bool", "time")}


@dataclass(frozen=True)
class Texts:
    """A text column: row i is the UTF-8 text data[offsets[i]:offsets[i + 1]]."""

    offsets: npt.NDArray[np.int64]
    data: bytes | memoryview

    @classmethod
    def of(cls, values: Sequence[str]) -> "Texts":
        encoded = [value.encode() for value in values]
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        return cls(np.concatenate(([0], np.cumsum(lengths))), b"".join(encoded))

    def take(self, rows: npt.NDArray[np.integer[Any]]) -> "Texts":
        """The texts of these rows, in this order."""
        starts, lengths = self.offsets[:-1][rows], np.diff(self.offsets)[rows]
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        within = np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths)
        data = np.frombuffer(self.data, np.uint8)[np.repeat(starts, lengths) + within]
        return Texts(offsets, data.tobytes())


Values = npt.NDArray[np.integer[Any] | np.bool_]
Column = tuple[str, Values | Texts]  # PostgreSQL type, values


def binary_copy(columns: Sequence[Column]) -> npt.NDArray[np.uint8]:
    """The binary COPY stream of the rows of `columns` (none NULL): int2, int4, int8, bool,
    time (µs after midnight) or text."""
    rows = _rows(columns[0][1])
    parts: list[npt.NDArray[np.void] | Texts] = []
    fields: list[tuple[str, np.dtype[np.generic]]] = [("count", np.dtype(">i2"))]
    values: list[object] = [len(columns)]
    for i, (kind, column) in enumerate(columns):
        if isinstance(column, Texts):
            fields.append((f"length{i}", _LENGTH))
            values.append(np.diff(column.offsets))
            parts += [_record(fields, values, rows), column]
            fields, values = [], []
        else:
            value = _FIXED[kind]
            fields += [(f"length{i}", _LENGTH), (f"value{i}", value)]
            values += [value.itemsize, column]
    parts.append(_record(fields, values, rows))
    row_size = np.zeros(rows, np.int64)
    for part in parts:
        row_size += np.diff(part.offsets) if isinstance(part, Texts) else part.dtype.itemsize
    starts = len(HEADER) + np.cumsum(row_size) - row_size
    out = np.empty(len(HEADER) + int(row_size.sum()) + len(TRAILER), np.uint8)
    out[: len(HEADER)] = np.frombuffer(HEADER, np.uint8)
    out[len(out) - len(TRAILER) :] = np.frombuffer(TRAILER, np.uint8)
    for lo in range(0, rows, _SLICE):  # a slice of rows at a time: small index arrays
        at = starts[lo : lo + _SLICE]
        for part in parts:
            if isinstance(part, Texts):
                texts = Texts(part.offsets[lo : lo + _SLICE + 1], part.data)
                _put_texts(out, at, texts)
                at = at + np.diff(texts.offsets)
            else:
                size = part.dtype.itemsize
                record = part[lo : lo + _SLICE].view(np.uint8).reshape(len(at), size)
                out[at[:, None] + np.arange(size)] = record
                at = at + size
    return out


def _rows(column: Values | Texts) -> int:
    return len(column.offsets) - 1 if isinstance(column, Texts) else len(column)


def _record(
    fields: list[tuple[str, np.dtype[np.generic]]], values: list[object], rows: int
) -> npt.NDArray[np.void]:
    """The run of fixed-width fields as one packed record a row."""
    record = np.empty(rows, np.dtype(fields))
    for (name, _), value in zip(fields, values, strict=True):
        record[name] = value
    return record


def _put_texts(out: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], texts: Texts) -> None:
    """Row i's text at out[at[i]:], for all rows at once."""
    lengths = np.diff(texts.offsets)
    first, last = int(texts.offsets[0]), int(texts.offsets[-1])
    within = np.arange(last - first) - np.repeat(texts.offsets[:-1] - first, lengths)
    out[np.repeat(at, lengths) + within] = np.frombuffer(texts.data, np.uint8, last - first, first)
