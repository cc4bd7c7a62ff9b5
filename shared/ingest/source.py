"""Reading an upstream CSV file's header: columns by name, BOM ignored; and how a bad value is
quoted in an error."""

import codecs
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.errors import FileRowError

QUOTED_CHARACTERS = 80  # at most this much of a bad value is quoted in an error
_HEADER_BYTES = 1 << 20  # a header line longer than this is not a header


def quoted(value: str) -> str:
    """`value` as an error quotes it: repr, cut at QUOTED_CHARACTERS characters."""
    if len(value) <= QUOTED_CHARACTERS:
        return repr(value)
    return repr(value[:QUOTED_CHARACTERS]) + f"… ({len(value):,} characters)"


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
    """Read the header of `path` and check that each group of alternative names is present;
    FileRowError (line 1) for a file that does not start with a CSV header line."""
    with path.open("rb") as f:
        first = f.readline(_HEADER_BYTES)
    start = len(codecs.BOM_UTF8) if first.startswith(codecs.BOM_UTF8) else 0
    line = first[start:].removesuffix(b"\n").removesuffix(b"\r")
    if b"\r" in line:
        raise FileRowError(path.name, 1, "lines end in CR alone (expected LF or CRLF)")
    if len(first) == _HEADER_BYTES and not first.endswith(b"\n"):
        raise FileRowError(path.name, 1, f"no line end in the first {_HEADER_BYTES:,} bytes")
    try:
        header = next(csv.reader([line.decode("utf-8")]), [])
    except UnicodeDecodeError as e:
        raise FileRowError(path.name, 1, f"header is not UTF-8 ({e.reason})") from e
    except csv.Error as e:
        raise FileRowError(path.name, 1, f"header is not CSV ({e})") from e
    source = CsvSource(path, tuple(name.strip().lower() for name in header), start)
    for names in required:
        source.index(*names)
    return source
