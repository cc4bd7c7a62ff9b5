"""Tests for the deterministic sample-data generator."""

from __future__ import annotations

import csv
import pathlib
import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from sampledata.generate import DEFAULT_END, generate_dataset

FILES = ("store_status.csv", "menu_hours.csv", "timezones.csv")
HEADERS = {
    "store_status.csv": "store_id,status,timestamp_utc",
    "menu_hours.csv": "store_id,dayOfWeek,start_time_local,end_time_local",
    "timezones.csv": "store_id,timezone_str",
}
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} UTC")
TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d")
INT_ID_RE = re.compile(r"[1-9]\d{18}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

STORES, DAYS, SEED = 50, 2.0, 7


def _rows(path: pathlib.Path) -> list[list[str]]:
    with open(path, newline="", encoding="ascii") as f:
        return list(csv.reader(f))[1:]


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f UTC").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("data")
    return out, generate_dataset(out, STORES, DAYS, SEED)


def test_deterministic(
    dataset: tuple[pathlib.Path, dict[str, int]], tmp_path: pathlib.Path
) -> None:
    out, counts = dataset
    again = generate_dataset(tmp_path / "again", STORES, DAYS, SEED)
    assert again == counts
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    generate_dataset(tmp_path / "other", STORES, DAYS, SEED + 1)
    for name in FILES:
        assert (tmp_path / "other" / name).read_bytes() != (out / name).read_bytes()


def test_headers_and_counts(dataset: tuple[pathlib.Path, dict[str, int]]) -> None:
    out, counts = dataset
    assert set(counts) == set(FILES)
    for name in FILES:
        data = (out / name).read_bytes()
        assert data.endswith(b"\n")
        assert b"\r" not in data
        lines = data.decode("ascii").split("\n")[:-1]
        assert lines[0] == HEADERS[name]
        assert len(lines) - 1 == counts[name]


def test_polls(dataset: tuple[pathlib.Path, dict[str, int]]) -> None:
    out, _ = dataset
    rows = _rows(out / "store_status.csv")
    assert len({len(r) for r in rows}) == 1
    assert {r[1] for r in rows} == {"active", "inactive"}
    assert all(TS_RE.fullmatch(r[2]) for r in rows)
    times = [_parse_ts(r[2]) for r in rows]
    start = DEFAULT_END - timedelta(days=DAYS)
    assert all(start <= t <= DEFAULT_END for t in times)
    # "now" is the latest poll: one poll sits exactly at the end instant.
    assert max(times) == DEFAULT_END
    # Upstream order is not time order.
    assert times != sorted(times)
    # Roughly hourly with gaps: ~0.63 polls per store-hour.
    per_store_hour = len(rows) / (STORES * DAYS * 24)
    assert 0.45 < per_store_hour < 0.8
    # Polls of a store come in one block.
    blocks = [r[0] for i, r in enumerate(rows) if i == 0 or rows[i - 1][0] != r[0]]
    assert len(blocks) == len(set(blocks))


def test_store_ids(dataset: tuple[pathlib.Path, dict[str, int]]) -> None:
    out, _ = dataset
    ids = {r[0] for r in _rows(out / "store_status.csv")}
    ids |= {r[0] for r in _rows(out / "menu_hours.csv")}
    ids |= {r[0] for r in _rows(out / "timezones.csv")}
    assert len(ids) == STORES
    assert all(INT_ID_RE.fullmatch(i) or UUID_RE.fullmatch(i) for i in ids)
    assert any(INT_ID_RE.fullmatch(i) for i in ids)
    assert any(UUID_RE.fullmatch(i) for i in ids)


def test_hours(dataset: tuple[pathlib.Path, dict[str, int]]) -> None:
    out, _ = dataset
    rows = _rows(out / "menu_hours.csv")
    assert all(len(r) == 4 for r in rows)
    assert {int(r[1]) for r in rows} <= set(range(7))
    assert all(TIME_RE.fullmatch(r[2]) and TIME_RE.fullmatch(r[3]) for r in rows)
    assert any(r[3] <= r[2] for r in rows), "overnight shifts"
    # 24 h stores, spelled 00:00:00-23:59:59 or 00:00:00-23:59:00 as upstream.
    assert any(r[2] == "00:00:00" and r[3] in ("23:59:59", "23:59:00") for r in rows)
    per_day: dict[tuple[str, str], int] = {}
    for r in rows:
        per_day[r[0], r[1]] = per_day.get((r[0], r[1]), 0) + 1
    assert max(per_day.values()) >= 2, "split shifts"
    hour_ids = {r[0] for r in rows}
    assert 3 < len(rows) / len(hour_ids) < 14
    poll_ids = {r[0] for r in _rows(out / "store_status.csv")}
    assert poll_ids - hour_ids, "stores without hours (open 24x7)"


def test_timezones(dataset: tuple[pathlib.Path, dict[str, int]]) -> None:
    out, _ = dataset
    rows = _rows(out / "timezones.csv")
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids))
    names = {r[1] for r in rows}
    assert "" in names
    for name in names - {""}:
        zoneinfo.ZoneInfo(name)
    poll_ids = {r[0] for r in _rows(out / "store_status.csv")}
    assert poll_ids - set(ids), "stores missing from timezones.csv"


def test_custom_end(tmp_path: pathlib.Path) -> None:
    end = datetime(2024, 3, 10, 12, 0, 0)  # naive means UTC; a US DST change is in the window
    counts = generate_dataset(tmp_path, 5, 1.5, 3, end=end)
    times = [_parse_ts(r[2]) for r in _rows(tmp_path / "store_status.csv")]
    assert len(times) == counts["store_status.csv"] > 0
    aware_end = end.replace(tzinfo=UTC)
    assert max(times) == aware_end
    assert min(times) >= aware_end - timedelta(days=1.5)


def test_empty_and_invalid(tmp_path: pathlib.Path) -> None:
    counts = generate_dataset(tmp_path, 0, 1.0, 0)
    assert counts == dict.fromkeys(FILES, 0)
    for name in FILES:
        assert (tmp_path / name).read_text(encoding="ascii") == HEADERS[name] + "\n"
    with pytest.raises(ValueError):
        generate_dataset(tmp_path, -1, 1.0, 0)
    with pytest.raises(ValueError):
        generate_dataset(tmp_path, 1, float("nan"), 0)
    with pytest.raises(ValueError):
        generate_dataset(tmp_path, 1, 1.0, -1)
