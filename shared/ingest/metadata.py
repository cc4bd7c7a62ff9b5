"""Ingest of the store metadata snapshots (business hours, timezones), parsed in Python (a
plain business-hours file by Arrow: hoursfile.py).

These files are small; each ingest replaces the previous snapshot whole, in one transaction.
"""

import asyncio
import csv
import functools
from collections.abc import Iterator
from datetime import time
from importlib import resources
from pathlib import Path

import asyncpg

from shared.db import ingests, snapshots
from shared.ingest.fields import HOURS_COLUMNS, day_of_week, parse_local_time, store_id
from shared.ingest.hoursfile import read_plain_hours
from shared.ingest.source import CsvSource, open_source, quoted
from shared.ingest.turns import Turn

# IANA's placeholder for a system whose zone was never set (offset 0, abbreviation "-00"): a
# store "in" it has no known local time, and counting its hours as UTC would be a guess.
_NOT_A_PLACE = {"Factory": "IANA's placeholder for an unset zone, not a place; leave it empty"}


@functools.cache
def _known_zones() -> frozenset[str]:
    """The zone names of the IANA database, as the pinned tzdata package lists them (links
    such as US/Pacific included). Not zoneinfo.available_timezones(), which adds whatever the
    host's zoneinfo directory holds (`localtime`, a link to the host's own zone), nor "does
    ZoneInfo() load it", which also reads files by relative path."""
    listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(listed.split()) - _NOT_A_PLACE.keys()


def _zone_error(name: str) -> str | None:
    """Why `name` (stripped, not empty) is no zone a store can be in; None when it is one."""
    if name in _known_zones():
        return None
    why = _NOT_A_PLACE.get(name, "not an IANA time zone name, such as America/Chicago")
    return f"unknown time zone {quoted(name)} ({why})"


def _rows(source: CsvSource) -> Iterator[tuple[int, list[str]]]:
    """(physical line, fields) of each data row; blank lines are skipped."""
    with source.path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            next(reader, None)  # the header: its first read decodes the file's first 8 KB
            for fields in reader:
                if not fields:
                    continue
                if len(fields) != len(source.columns):
                    raise source.error(
                        reader.line_num,
                        f"expected {len(source.columns)} fields, found {len(fields)}",
                    )
                yield reader.line_num, fields
        except csv.Error as e:  # in the line just read
            raise source.error(reader.line_num, str(e)) from None
        except UnicodeDecodeError as e:  # in a chunk read ahead: which line is not known
            raise source.error(_undecodable_line(source.path), f"not UTF-8 ({e.reason})") from None


def _undecodable_line(path: Path) -> int:
    """The first physical line of `path` that is not UTF-8 (read again, on the error path)."""
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def read_hours(path: Path) -> list[tuple[str, int, time, time]]:
    """(store_id, day, start, end) rows of a business-hours file, read row by row;
    FileRowError at the first malformed line."""
    source = open_source(path, HOURS_COLUMNS)
    i_store, i_day, i_start, i_end = (source.index(*names) for names in HOURS_COLUMNS)
    rows = []
    for line, fields in _rows(source):
        try:
            rows.append(
                (
                    store_id(fields[i_store]),
                    day_of_week(fields[i_day]),
                    parse_local_time(fields[i_start]),
                    parse_local_time(fields[i_end]),
                )
            )
        except ValueError as e:
            raise source.error(line, str(e)) from None
    return rows


def read_hours_columns(path: Path) -> snapshots.Hours:
    """The rows of a business-hours file as columns: by Arrow when the file is plain CSV,
    else row by row (which names the first malformed line)."""
    plain = read_plain_hours(open_source(path, HOURS_COLUMNS))
    return plain if plain is not None else snapshots.Hours.of_rows(read_hours(path))


def read_timezones(path: Path) -> dict[str, str | None]:
    """store_id → IANA zone (None: no zone) of a timezones file; the later line wins."""
    source = open_source(path, [["store_id"], ["timezone_str"]])
    i_store, i_zone = source.index("store_id"), source.index("timezone_str")
    zones: dict[str, str | None] = {}
    for line, fields in _rows(source):
        try:
            store = store_id(fields[i_store])
        except ValueError as e:
            raise source.error(line, str(e)) from None
        name = fields[i_zone].strip()
        if name and (why := _zone_error(name)):
            raise source.error(line, why)
        zones.pop(store, None)  # re-insert so the later line also sets the order
        zones[store] = name or None
    return zones


async def ingest_hours(conn: asyncpg.Connection, path: Path, turn: Turn | None = None) -> int:
    """Make `path`'s rows the current business-hours snapshot; the number stored. `turn`: the
    file's place among files ingested side by side (turns.py)."""
    hours = await asyncio.to_thread(read_hours_columns, path)  # the event loop stays free
    turn = turn or Turn()
    async with conn.transaction():
        snapshot = await turn.record(lambda: ingests.new(conn, "hours", path, len(hours)))
        await snapshots.add_hours(conn, snapshot, hours)
        await ingests.notify(conn, "hours", snapshot)
        await turn.commit()
    await snapshots.drop_unused(conn, "hours", snapshot)  # once the new one is current
    return len(hours)


async def ingest_timezones(conn: asyncpg.Connection, path: Path, turn: Turn | None = None) -> int:
    """Make `path`'s zones the current timezones snapshot; the number of stores stored.
    `turn`: as for `ingest_hours`."""
    zones = await asyncio.to_thread(read_timezones, path)
    turn = turn or Turn()
    async with conn.transaction():
        snapshot = await turn.record(lambda: ingests.new(conn, "timezones", path, len(zones)))
        await snapshots.add_timezones(conn, snapshot, zones.items())
        await ingests.notify(conn, "timezones", snapshot)
        await turn.commit()
    await snapshots.drop_unused(conn, "timezones", snapshot)  # once the new one is current
    return len(zones)
