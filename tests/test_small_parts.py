"""Configuration, the CSV file, the job message and as_of parsing."""

import itertools
import os
import platform
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from shared import reportfiles, reportparts, rowsindex
from shared.config import Settings
from shared.csvfile import HEADER, AtomicFile, columns_of, csv_lines, report_path, table_lines
from shared.errors import BadInput
from shared.instants import parse_as_of
from shared.messages import Compaction, Job, parse, to_message
from shared.reportids import is_report_id
from shared.uptime.model import ReportRow
from shared.uptime.stores import StoreTotals
from shared.uptime.summary import Summary
from shared.uptime.table import Table, hundredths_column, integer_column, label_column

RID = "3f2c8e9a-1b2c-4d5e-8f90-123456789abc"


def test_settings_defaults_and_environment(tmp_path: Path) -> None:
    default = Settings.from_env({})
    assert default.database_url == "postgresql://postgres@127.0.0.1:5432/storemon"
    assert default.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert default.reports_dir.is_absolute() and default.reports_dir.name == "reports"
    assert (default.host, default.port, default.api_url) == (
        "127.0.0.1",
        8080,
        "http://127.0.0.1:8080",
    )
    custom = Settings.from_env(
        {"PORT": "9000", "REPORTS_DIR": str(tmp_path), "API_URL": "http://x/"}
    )
    assert (custom.port, custom.reports_dir, custom.api_url) == (9000, tmp_path, "http://x")


def test_report_ids_are_lowercase_canonical_uuids(tmp_path: Path) -> None:
    assert is_report_id(RID)
    for bad in (RID.upper(), RID.replace("-", ""), "../" + RID, RID + ".csv", "{" + RID + "}"):
        assert not is_report_id(bad)
        with pytest.raises(ValueError):
            report_path(tmp_path, bad)


def test_csv_quotes_only_an_id_that_needs_it() -> None:
    rows = [ReportRow('a,"b"', "1.00", "2.00", "3.00", "0.00", "0.00", "0.00")]
    assert csv_lines([HEADER, *rows]) == (
        b"store_id,uptime_last_hour,uptime_last_day,uptime_last_week,downtime_last_hour,"
        b'downtime_last_day,downtime_last_week\n"a,""b""",1.00,2.00,3.00,0.00,0.00,0.00\n'
    )


def test_table_lines_are_the_fields_joined_row_by_row() -> None:
    """The lines built from byte matrices are the fields as written by hand: two decimals,
    empty for −1, integers, labels, quoted and non-ASCII ids (lengths in bytes)."""
    ids = ["plain", 'a,"b"', "café-ü", "x" * 40]
    store = np.array([0, 0, 1, 2, 3, 3], np.int64)
    hundredths = np.array([0, 5, 150, 123456789, -1, 99], np.int64)
    polls = np.array([0, 7, 10, 123, 4, 100000], np.int64)
    period = np.array([1, 0, 1, 1, 0, 1], np.int64)
    table = Table(
        store,
        [
            label_column(["2023-01-01", "total"], period),
            hundredths_column(hundredths),
            integer_column(polls),
        ],
    )
    data, lengths = table_lines(table, ids)
    expected = [
        "plain,total,0.00,0",
        "plain,2023-01-01,0.05,7",
        '"a,""b""",total,1.50,10',
        "café-ü,total,1234567.89,123",
        f"{'x' * 40},2023-01-01,,4",
        f"{'x' * 40},total,0.99,100000",
    ]
    assert data.decode() == "".join(f"{line}\n" for line in expected)
    assert lengths.tolist() == [len(line.encode()) + 1 for line in expected]
    assert table.rows(ids, lambda *row: row)[4] == ("x" * 40, "2023-01-01", "", "4")
    empty, no_lengths = table_lines(Table(store[:0], table.columns), ids)
    assert empty == b"" and len(no_lengths) == 0


def test_report_file_appears_only_on_commit(tmp_path: Path) -> None:
    line = csv_lines([HEADER, ReportRow("s", "1.00", "2.00", "3.00", "0.00", "0.00", "0.00")])
    target = report_path(tmp_path, RID)
    with pytest.raises(RuntimeError), AtomicFile(target) as report:
        report.write(line)
        raise RuntimeError("crash before commit")
    assert list(tmp_path.iterdir()) == []  # no partial file, no temp left behind
    with AtomicFile(target) as report:
        report.write(line)
        (temp,) = [p.name for p in tmp_path.iterdir()]
        assert temp.startswith(".") and temp.endswith(".tmp")  # never looks like <id>.csv
        path = report.commit()
    assert path == target
    assert path.read_bytes().endswith(b"\ns,1.00,2.00,3.00,0.00,0.00,0.00\n")
    assert [p.name for p in tmp_path.iterdir()] == [f"{RID}.csv"]


def _table(stores: list[int], up: list[int], percent: list[int]) -> Table:
    """Rows of a two-column report: up (hundredths) and percent (−1: none)."""
    as_ints = [np.array(v, np.int64) for v in (stores, up, percent)]
    return Table(as_ints[0], [hundredths_column(as_ints[1]), hundredths_column(as_ints[2])])


def _totals(stores: int, base: int) -> StoreTotals:
    """Totals of stores 0 … stores − 1 of a part, numbered from `base` so that each store's
    can be told apart after the merge: business base + i, up i, polls 10 × (base + i)."""
    index = np.arange(stores, dtype=np.int64)
    return StoreTotals(index, base + index, index, 10 * (base + index), index - 1, index * 100 - 1)


@pytest.mark.parametrize("steps", ["whole", "tiny"])
def test_parts_are_assembled_in_store_id_order_with_offsets_and_keys(
    tmp_path: Path, steps: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if steps == "tiny":  # runs taken two at a time, written every 10 bytes
        monkeypatch.setattr(reportparts, "_RUNS", 2)
        monkeypatch.setattr(reportparts, "_BATCH", 10)
    # Part a: stores "10" (two rows), "9", "b"; b: '"q', "A", "a,z", "x\ny", "é"; c: none.
    summaries = [Summary("standard", 3, {"last_week": [10, 40]}, [0] * 9 + [3], 0)]
    summaries += [Summary("standard", 5, {"last_week": [5, 60]}, [5] + [0] * 9, 1)]
    summaries += [Summary("standard")]
    a = _table([0, 0, 1, 2], [150, 5, 0, 2400], [5000, -1, 0, 10000])
    b = _table([0, 1, 2, 3, 4], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    parts = [tmp_path / "a.part", tmp_path / "b.part", tmp_path / "c.part"]
    assert reportparts.write(parts[0], a, ["10", "9", "b"], summaries[0], _totals(3, 100)) == 4
    ids = ['"q', "A", "a,z", "x\ny", "é"]
    assert reportparts.write(parts[1], b, ids, summaries[1], _totals(5, 200)) == 5
    assert reportparts.write(parts[2], _table([], [], []), [], summaries[2], _totals(0, 0)) == 0
    with AtomicFile(tmp_path / "out.csv") as out:
        out.write(b"h\n")
        done = reportparts.assemble(parts, out, index_rows=100, kind="standard")
        out.commit()
    data = (tmp_path / "out.csv").read_bytes()
    lines = [
        '"""q",0.01,0.01',
        "10,1.50,50.00",
        "10,0.05,",
        "9,0.00,0.00",
        "A,0.02,0.02",
        '"a,z",0.03,0.03',
        "b,24.00,100.00",
        '"x\ny",0.04,0.04',
        "é,0.05,0.05",
    ]
    assert data.decode() == "h\n" + "".join(f"{line}\n" for line in lines)
    assert done.rows == 9 and done.offsets is not None and done.keys is not None
    starts = [int(o) + 2 for o in done.offsets]  # past the header
    assert [data[x:y].decode() for x, y in itertools.pairwise(starts)] == [f"{x}\n" for x in lines]
    assert done.keys.tolist() == [
        [1, 1], [150, 5000], [5, -1], [0, 0], [2, 2], [3, 3], [2400, 10000], [4, 4], [5, 5]
    ]  # fmt: skip
    # Stores in store_id order: "q (b0), 10 (a0, two rows), 9 (a1), A (b1), a,z (b2), b (a2),
    # x\ny (b3), é (b4); each with its own totals, wherever its part put it.
    assert done.stores is not None
    assert done.stores["first_row"].tolist() == [0, 1, 3, 4, 5, 6, 7, 8]
    assert done.stores["business"].tolist() == [200, 100, 101, 201, 202, 102, 203, 204]
    assert done.stores["up"].tolist() == [0, 0, 1, 1, 2, 2, 3, 4]
    assert done.stores["polls"].tolist() == [2000, 1000, 1010, 2010, 2020, 1020, 2030, 2040]
    assert done.stores["worst_period"].tolist() == [-1, -1, 0, 0, 1, 1, 2, 3]
    assert done.stores["worst_percent"].tolist() == [-1, -1, 99, 99, 199, 199, 299, 399]
    with AtomicFile(tmp_path / "big.csv") as out:
        big = reportparts.assemble(parts, out, index_rows=8, kind="standard")
    assert (big.rows, big.offsets, big.keys) == (9, None, None)
    merged = Summary("standard", 8, {"last_week": [15, 100]}, [5] + [0] * 8 + [3], 1)
    assert done.summary == big.summary == merged


@pytest.mark.parametrize(
    "keys",
    [[3, -1, 3, 0, -1, 2], [70_000, -1, 0, 70_000, 5], [65_534, -1, 65_534, 0], [], [7]],
)
def test_index_orders_are_stable_whatever_the_range_of_keys(keys: list[int]) -> None:
    # Ties keep row order; a span under 2^16 values (radix path) or over it, the same.
    expected = sorted(range(len(keys)), key=lambda row: (keys[row], row))
    order = rowsindex.order_of(np.array(keys, np.int32))
    assert order.dtype == np.int32 and order.tolist() == expected


def test_part_with_no_rows_and_a_lost_tail_is_an_error(tmp_path: Path) -> None:
    part = tmp_path / "p.part"
    empty = _totals(0, 0)
    assert reportparts.write(part, _table([], [], []), [], Summary("standard"), empty) == 0
    with AtomicFile(tmp_path / "out.csv") as out:
        assert reportparts.assemble([part], out, index_rows=10, kind="period").rows == 0
    part.write_bytes(part.read_bytes()[:-3])  # a truncated part never passes for an empty one
    with AtomicFile(tmp_path / "out.csv") as out, pytest.raises(ValueError, match="not a whole"):
        reportparts.assemble([part], out, index_rows=10, kind="period")


def test_job_message_round_trip() -> None:
    message = to_message(Job(RID))
    assert message.delivery_mode == 2 and message.message_id == f"{RID}/plan"
    assert parse(message.body) == Job(RID)
    assert parse(to_message(Job(RID, 3)).body) == Job(RID, 3)
    compaction = Compaction(3, date(2023, 1, 22))
    assert parse(to_message(compaction).body) == compaction
    bad_shard = b'{"report_id": "' + RID.encode() + b'", "shard": -1}'
    bad_block = b'{"compact": {"block": -2, "day": "2023-01-22"}}'
    bad_day = b'{"compact": {"block": 2, "day": "January"}}'
    for body in (
        b"{}",
        b"[]",
        b'{"report_id": "nope"}',
        b"not json",
        bad_shard,
        bad_block,
        bad_day,
    ):
        with pytest.raises((ValueError, KeyError, TypeError)):
            parse(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-25T18:13:22Z", datetime(2023, 1, 25, 18, 13, 22, tzinfo=UTC)),
        ("2023-01-25T18:13:22", datetime(2023, 1, 25, 18, 13, 22, tzinfo=UTC)),
        ("2023-01-25T20:13:22.5+02:00", datetime(2023, 1, 25, 18, 13, 22, 500000, tzinfo=UTC)),
    ],
)
def test_as_of_parsing(text: str, expected: datetime) -> None:
    assert parse_as_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2023-13-01T00:00:00Z",
        "25/01/2023",
        "0001-01-01T00:00:00+01:00",  # overflows on conversion to UTC
        "9999-12-31T23:59:59.999999Z",  # PostgreSQL's infinity
        "1969-12-31T23:59:59Z",
        "2023-01-25T18:13:22\x00",
    ],
)
def test_bad_as_of(text: str) -> None:
    with pytest.raises(BadInput):
        parse_as_of(text)


def test_fleet_figures_do_not_overflow() -> None:
    # 140,000 stores open all week and up 3/4 of it: 23.52 million business hours, in half-µs
    # ticks 1.7e17, and 20,000 × that is past int64.
    week_ticks = 168 * 3_600 * 1_000_000 * 2
    summary = Summary("standard")
    stores = 140_000
    summary.add_totals(
        ["last_week"],
        np.array([stores * week_ticks * 3 // 4]),
        np.array([stores * week_ticks]),
        np.array([0]),
        np.array([stores]),
    )
    answer = summary.answer()
    assert answer["uptime_percent"] == 75.0
    assert answer["business_hours"] == 23_520_000.0
    assert answer["windows"][0]["uptime_hours"] == 17_640_000.0
    assert answer["windows"][0]["downtime_hours"] == 5_880_000.0


def _index_files(target: Path, rows: int, seed: int) -> None:
    columns = columns_of(HEADER)
    keys = np.random.default_rng(seed).integers(0, 100, (rows, len(columns) - 1), dtype=np.int32)
    offsets = np.arange(rows + 1, dtype=np.int64) * 10
    one_row_each = np.arange(rows, dtype=np.int64)
    stores = {"first_row": one_row_each} | {name: one_row_each for name in reportparts.STORE_FIELDS}
    rowsindex.write(target, columns, Summary("standard"), offsets, keys, stores)


def test_the_rows_index_stays_whole_under_concurrent_duplicate_assemblies(
    tmp_path: Path,
) -> None:
    """Two assemblies of one report writing its index at once (a timed-out one and its retry),
    a reader meanwhile: the reader always finds a whole index, and at the end one version
    is left, linked, and no temporary name."""
    target = rowsindex.index_path(tmp_path, RID)
    _index_files(target, 1000, 0)  # the first assembly's, already there
    stop = threading.Event()
    seen: list[str] = []

    def read() -> None:
        while not stop.is_set():
            try:
                offsets = np.load(target / "offsets.npy")
                order = np.load(target / "order_uptime_last_week.npy")
                rowsindex.Index.summary(target)
                seen.append("whole" if len(offsets) == 1001 and len(order) == 1000 else "torn")
            except (OSError, ValueError) as e:
                seen.append(f"{type(e).__name__}: {e}")

    def assemble(seed: int) -> None:
        for _ in range(30):
            _index_files(target, 1000, seed)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=assemble, args=(n,)) for n in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    reader.join()
    assert seen and set(seen) == {"whole"}, sorted(set(seen))[:3]
    assert target.is_symlink() and (target / "offsets.npy").is_file()
    left = sorted(p.name for p in target.parent.iterdir())
    assert not [name for name in left if name.endswith(".tmp")]
    assert f".{RID}." in os.readlink(target) or os.readlink(target).startswith(f".{RID}.")
    # Each assembly removes what it replaced: versions nobody links may be left by a race,
    # never the linked one; removing the report's files takes them all.
    assert reportfiles.with_files(tmp_path) == {RID: {"rows"}}
    assert reportfiles.remove(tmp_path, RID) == 1
    assert list(target.parent.iterdir()) == []
    assert reportfiles.with_files(tmp_path) == {}


def test_a_rows_index_of_the_earlier_form_is_replaced(tmp_path: Path) -> None:
    target = rowsindex.index_path(tmp_path, RID)
    target.mkdir(parents=True)  # a directory itself, as earlier versions wrote it
    (target / "summary.json").write_text("{}")
    _index_files(target, 3, 0)
    assert target.is_symlink() and len(np.load(target / "offsets.npy")) == 4
    assert [p.name for p in target.parent.iterdir() if not p.is_symlink()] == [os.readlink(target)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("step", [1, 2, 3, 100])
def test_an_order_puts_empty_keys_last_in_either_direction(descending: bool, step: int) -> None:
    # Keys of rows 0 … 6; −1 is an empty field. Sorted ascending with ties in row order:
    # rows 1, 4 (empty), then 3 (0), 5 (2), 0 and 2 (3), 6 (7). Ascending with empties last:
    # 3, 5, 0, 2, 6, 1, 4; descending: 6, 2, 0, 5, 3, then still 1, 4.
    keys = np.array([3, -1, 3, 0, -1, 2, 7], np.int32)
    order = rowsindex._Order(rowsindex.order_of(keys), int((keys < 0).sum()), descending)
    taken = [order.take(a, a + step).tolist() for a in range(0, len(order), step)]
    expected = [6, 2, 0, 5, 3, 1, 4] if descending else [3, 5, 0, 2, 6, 1, 4]
    assert [row for chunk in taken for row in chunk] == expected
    assert order.take(len(order), len(order) + 5).tolist() == []


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="not glibc")
def test_the_worker_asks_glibc_for_one_arena() -> None:
    """The worker's heap setting reaches glibc (here, as on the images the service runs on)."""
    from worker.heap import one_arena

    assert one_arena()
