"""A business-hours file read by column with Apache Arrow, when it is plain CSV: no quote, no
NUL byte, no carriage return but before a line feed, valid UTF-8 and no line longer than the
csv module's field limit, so that Arrow splits lines and fields exactly as Python's csv module
does. Each distinct value is checked and converted once, by the same code as the row-by-row
reader (fields.py); for anything else (not plain, a malformed value or line) there is no result,
and the row-by-row reader (metadata.py) reads the file and names the first bad line."""

import csv
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pcsv

from shared.db.binaryrows import Texts
from shared.db.snapshots import Hours
from shared.ingest.fields import HOURS_COLUMNS, day_of_week, parse_local_time, store_id
from shared.ingest.source import CsvSource
from shared.instants import micros_of_day

T = TypeVar("T")


def read_plain_hours(source: CsvSource) -> Hours | None:
    """The rows of a plain business-hours file, in file order; None for any other file."""
    data = source.path.read_bytes()
    begin = data.find(b"\n", source.start) + 1  # after the header
    if begin == 0 or not _plain(data, begin):
        return None
    names = [f"c{i}" for i in range(len(source.columns))]
    wanted = [f"c{source.index(*alternatives)}" for alternatives in HOURS_COLUMNS]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(memoryview(data)[begin:]),
            read_options=pcsv.ReadOptions(column_names=names),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.dictionary(pa.int32(), pa.string())),
                strings_can_be_null=False,
            ),
        ).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a line of another number of fields
    if table.num_rows == 0:
        return None
    try:
        ids, id_rows = _each_value(table[wanted[0]], store_id)
        days, day_rows = _each_value(table[wanted[1]], day_of_week)
        starts, start_rows = _each_value(table[wanted[2]], _micros)
        ends, end_rows = _each_value(table[wanted[3]], _micros)
    except ValueError:
        return None
    return Hours(
        Texts.of(ids).take(id_rows),
        np.array(days, np.int16)[day_rows],
        np.array(starts, np.int64)[start_rows],
        np.array(ends, np.int64)[end_rows],
    )


def _plain(data: bytes, begin: int) -> bool:
    if data.find(b'"', begin) >= 0 or data.find(b"\0", begin) >= 0:
        return False
    if data.count(b"\r", begin) != data.count(b"\r\n", begin):
        return False
    try:
        memoryview(data)[begin:].tobytes().decode()
    except UnicodeDecodeError:
        return False
    line_ends = np.flatnonzero(np.frombuffer(data, np.uint8, offset=begin) == ord("\n"))
    longest = np.diff(line_ends, prepend=-1, append=len(data) - begin).max()
    return bool(longest <= csv.field_size_limit())


def _each_value(
    column: pa.ChunkedArray, convert: Callable[[str], T]
) -> tuple[list[T], npt.NDArray[np.int32]]:
    """`convert` of each distinct value (ValueError for a malformed one), and each row's index
    among them."""
    distinct = column.chunk(0)  # dictionary-encoded as read
    values = [convert(value) for value in distinct.dictionary.to_pylist()]
    return values, distinct.indices.to_numpy()


def _micros(text: str) -> int:
    return micros_of_day(parse_local_time(text))
