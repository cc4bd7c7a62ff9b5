"""Configuration, the CSV file, the job message and as_of parsing."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from shared.config import Settings
from shared.csvfile import HEADER, RowsFile, csv_lines, is_report_id, merge_parts, report_path
from shared.errors import BadInput
from shared.instants import parse_as_of
from shared.messages import Compaction, Job, parse, to_message
from shared.uptime.model import ReportRow

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


def test_report_file_appears_only_on_commit(tmp_path: Path) -> None:
    row = ReportRow("s", "1.00", "2.00", "3.00", "0.00", "0.00", "0.00")
    target = report_path(tmp_path, RID)
    with pytest.raises(RuntimeError), RowsFile(target, HEADER) as report:
        report.add([row])
        raise RuntimeError("crash before commit")
    assert list(tmp_path.iterdir()) == []  # no partial file, no temp left behind
    with RowsFile(target, HEADER) as report:
        report.add([row])
        (temp,) = [p.name for p in tmp_path.iterdir()]
        assert temp.startswith(".") and temp.endswith(".tmp")  # never looks like <id>.csv
        path = report.commit()
    assert path == target and report.rows == 1
    assert path.read_bytes().endswith(b"\ns,1.00,2.00,3.00,0.00,0.00,0.00\n")
    assert [p.name for p in tmp_path.iterdir()] == [f"{RID}.csv"]


def test_parts_merge_in_store_id_order(tmp_path: Path) -> None:
    def part(name: str, ids: list[str]) -> Path:
        with RowsFile(tmp_path / name, None) as f:
            f.add([ReportRow(i, "0.00", "0.00", "0.00", "1.00", "1.00", "1.00") for i in ids])
            return f.commit()

    parts = [part("a.csv", ["10", "9", "b"]), part("b.csv", ['"q', "A", "a,z"]), part("c.csv", [])]
    with RowsFile(tmp_path / "out.csv", None) as out:
        assert merge_parts(parts, out) == 6
        out.commit()
    ids = [
        line.split(",1.00")[0].rsplit(",0.00", 3)[0]
        for line in (tmp_path / "out.csv").read_text().splitlines()
    ]
    assert ids == ['"""q"', "10", "9", "A", "a,z".join('""'), "b"]


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
