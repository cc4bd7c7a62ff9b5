"""Reading an upstream CSV file's header: columns by name, BOM ignored."""

import codecs
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.errors import FileRowError


@dataclass(frozen=True)
class CsvSource:
    """An ingest file: its path, header columns and the byte offset where the header starts."""

    path: Path
    columns: tuple[str, ...]
    start: int  # 3 when the file starts with a UTF-8 byte-order mark

    @property
    def name(self) -> str:
        return self.path.name

    def index(self, *names: str) -> int:
        """Position of the first of `names` present in the header (names are alternatives)."""
        for name in names:
            if name in self.columns:
                return self.columns.index(name)
        raise FileRowError(self.name, 1, f"missing required column {' or '.join(names)!r}")

    def error(self, line: int, reason: str) -> FileRowError:
        return FileRowError(self.name, line, reason)


def open_source(path: Path, required: Sequence[Sequence[str]]) -> CsvSource:
    """Read the header of `path` and check that each group of alternative names is present."""
    with path.open("rb") as f:
        first = f.readline()
    start = len(codecs.BOM_UTF8) if first.startswith(codecs.BOM_UTF8) else 0
    try:
        header = next(csv.reader([first[start:].decode("utf-8")]), [])
    except UnicodeDecodeError as e:
        raise FileRowError(path.name, 1, f"header is not UTF-8 ({e.reason})") from e
    source = CsvSource(path, tuple(name.strip().lower() for name in header), start)
    for names in required:
        source.index(*names)
    return source
