"""The files of a report in REPORTS_DIR: its CSV (`<id>.csv`, the only one ever served), the
index of its rows (`.rows/<id>/`) and its shards' parts while it is computed (`.parts/<id>/`);
which reports have files, and removing them (housekeeping, a cancel)."""

import shutil
from pathlib import Path

from shared import rowsindex
from shared.csvfile import report_path
from shared.reportids import is_report_id
from shared.rowsindex import index_path

PARTS_DIR = ".parts"
KINDS = ("csv", "rows", "parts")
# In each part's name: a part of another version's format is not found, so its shard is
# computed again (assembly's rule for a lost part) rather than mixed into the CSV.
PART_FORMAT = 3


def parts_dir(reports_dir: Path, report_id: str) -> Path:
    return reports_dir / PARTS_DIR / report_id


def part_path(reports_dir: Path, report_id: str, shard: int) -> Path:
    return parts_dir(reports_dir, report_id) / f"{shard:06d}.v{PART_FORMAT}.part"


def paths(reports_dir: Path, report_id: str) -> dict[str, Path]:
    return {
        "csv": report_path(reports_dir, report_id),
        "rows": index_path(reports_dir, report_id),
        "parts": parts_dir(reports_dir, report_id),
    }


def with_files(reports_dir: Path) -> dict[str, set[str]]:
    """Every report that has files, and which kinds."""
    found: dict[str, set[str]] = {}
    for path in reports_dir.glob("*.csv"):
        if is_report_id(path.stem):
            found.setdefault(path.stem, set()).add("csv")
    for report_id in rowsindex.indexed(reports_dir):
        found.setdefault(report_id, set()).add("rows")
    for path in (reports_dir / PARTS_DIR).glob("*"):
        if is_report_id(path.name):
            found.setdefault(path.name, set()).add("parts")
    return found


def remove(reports_dir: Path, report_id: str, kinds: tuple[str, ...] = KINDS) -> int:
    """Remove the report's files of `kinds`; how many of those existed."""
    removed = 0
    for kind, path in paths(reports_dir, report_id).items():
        if kind == "rows" and kind in kinds:
            removed += rowsindex.remove(path)
            continue
        if kind not in kinds or not path.exists():
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed += 1
    return removed
