"""A business-hours file read by column with Arrow (hoursfile.py) and stored by column in one
binary COPY (binaryrows.py): the same rows as the row-by-row reader, or no result at all."""

import itertools
import random
from datetime import time
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt
import pytest

from shared.db.binaryrows import Column, Texts, binary_copy
from shared.db.snapshots import Hours
from shared.errors import FileRowError
from shared.ingest.fields import HOURS_COLUMNS
from shared.ingest.hoursfile import read_plain_hours
from shared.ingest.metadata import read_hours
from shared.ingest.source import open_source


def _hours_file(rng: random.Random) -> bytes:
    """A business-hours file, now and then with an odd spelling or a fault of some kind."""
    header = rng.choice(
        [
            "store_id,day,start_time_local,end_time_local",
            "end_time_local,store_id,extra,dayOfWeek,start_time_local",
        ]
    )
    names = [name.lower() for name in header.split(",")]
    rate = rng.choice([0, 0, 0.001, 0.01])  # of an odd value

    def value(usual: str, odd: list[str]) -> str:
        return rng.choice(odd) if rng.random() < rate else usual

    lines = [header]
    for _ in range(rng.randint(1, 300)):
        values = {
            "store_id": value(
                f"s{rng.randint(1, 40)}", [" s1\t", "", " ", "é€", "x" * 256, "a,b", '"q"']
            ),
            "day": value(str(rng.randint(0, 6)), [" 3 ", "7", "", "1.0", "\u00a05"]),
            "dayofweek": value(str(rng.randint(0, 6)), [" 3 ", "-1", "x"]),
            "start_time_local": value(
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00", ["9:05", " 23:59:59.5"]
            ),
            "end_time_local": value("23:00:00", ["24:00:00", "10:61", "12:00:00.1234567"]),
            "extra": value("x", ["", "y z", "\x00", "\u2028"]),
        }
        line = ",".join(values[name] for name in names)
        lines.append(value(line, ["", line + ",", " ", line.replace(",", ";", 1)]))
    ending = rng.choice(["\n", "\r\n"]) if rng.random() < 0.98 else "\r"
    encoded = (ending.join(lines) + rng.choice([ending, ""])).encode()
    if rng.random() < 0.05:
        encoded += b"\xff,1,09:00,10:00\n"  # not UTF-8
    return (b"\xef\xbb\xbf" if rng.random() < 0.2 else b"") + encoded


def _texts(texts: Texts) -> list[bytes]:
    return [bytes(texts.data[lo:hi]) for lo, hi in itertools.pairwise(texts.offsets.tolist())]


def _columns_equal(a: Hours, b: Hours) -> bool:
    return (
        _texts(a.store_id) == _texts(b.store_id)
        and np.array_equal(a.day, b.day)
        and np.array_equal(a.start, b.start)
        and np.array_equal(a.end, b.end)
    )


def test_by_column_the_rows_read_row_by_row_or_nothing(tmp_path: Path) -> None:
    rng = random.Random(5)
    taken = refused = 0
    for n in range(400):
        path = tmp_path / f"h{n}.csv"
        path.write_bytes(_hours_file(rng))
        try:
            rows: list[tuple[str, int, time, time]] | None = read_hours(path)
        except (FileRowError, UnicodeDecodeError):  # the latter: a bad byte in the first 8 KB
            rows = None
        try:
            source = open_source(path, HOURS_COLUMNS)
        except FileRowError:  # a bad header: both readers stop there
            assert rows is None
            continue
        columns = read_plain_hours(source)
        if columns is None:
            refused += 1
            continue
        assert rows is not None, path.read_bytes()  # what the row reader refuses, so does Arrow
        assert _columns_equal(columns, Hours.of_rows(rows)), path.read_bytes()
        taken += 1
    assert taken > 100 and refused > 100  # both sides exercised


def test_a_quoted_file_is_left_to_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "menu_hours.csv"
    path.write_text('store_id,day,start_time_local,end_time_local\n"a",1,09:00,17:00\n')
    assert read_plain_hours(open_source(path, HOURS_COLUMNS)) is None
    assert read_hours(path) == [("a", 1, time(9), time(17))]


@pytest.mark.parametrize("rows", [0, 1, 20_000])
async def test_rows_by_column_are_stored_as_given(conn: asyncpg.Connection, rows: int) -> None:
    rng = random.Random(rows)
    distinct = ["", "a", "é€,\n\"'", "x" * 300, *map(str, range(rows))]
    chosen = np.array([rng.randrange(len(distinct)) for _ in range(rows)], np.int64)
    texts = [distinct[i] for i in chosen]
    fixed: dict[str, tuple[str, npt.NDArray[np.integer[Any] | np.bool_]]] = {
        "a": ("int8", np.array([rng.randint(-(2**63), 2**63 - 1) for _ in range(rows)], np.int64)),
        "d": ("int2", np.array([rng.randint(-(2**15), 2**15 - 1) for _ in range(rows)], np.int16)),
        "s": ("time", np.array([rng.randint(0, 86_399_999_999) for _ in range(rows)], np.int64)),
        "b": ("bool", np.array([rng.random() < 0.5 for _ in range(rows)], bool)),
        "i": ("int4", np.arange(rows, dtype=np.int32)),
    }
    columns: list[Column] = [fixed["a"], ("text", Texts.of(distinct).take(chosen))]
    columns += [fixed[name] for name in "dsbi"]
    await conn.execute(
        "CREATE TEMP TABLE by_column (a int8, t text, d int2, s time, b bool, i int4)"
    )
    try:
        await conn.copy_to_table("by_column", source=binary_copy(columns), format="binary")
        stored = await conn.fetch(
            "SELECT a, t, d, (extract(epoch FROM s) * 1000000)::int8 AS s, b, i "
            "FROM by_column ORDER BY i"
        )
    finally:
        await conn.execute("DROP TABLE by_column")
    assert [r["t"] for r in stored] == texts
    for name, (_, values) in fixed.items():
        assert [r[name] for r in stored] == values.tolist(), name
