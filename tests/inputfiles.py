"""Plain values (polls, store metadata) written as the three upstream CSV files, in the formats
the ingest accepts (UTC and ISO 8601 timestamps, HH:MM:SS[.ffffff] local times, empty zones)."""

import csv
import random
from datetime import UTC, datetime
from pathlib import Path

from shared.uptime.model import StoreMeta

Poll = tuple[str, datetime, bool]


def _timestamp(rng: random.Random, moment: datetime) -> str:
    if moment.utcoffset() == UTC.utcoffset(None) and rng.random() < 0.7:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    return moment.isoformat()  # ISO 8601 with its offset, converted to UTC by the ingest


def write_polls(rng: random.Random, path: Path, polls: list[Poll]) -> Path:
    """`polls` in their order (of one store and instant, the later line wins)."""
    with path.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["store_id", "status", "timestamp_utc"])
        for store_id, moment, active in polls:
            status = "active" if active else "inactive"
            out.writerow(
                [
                    store_id,
                    status if rng.random() < 0.9 else status.upper(),
                    _timestamp(rng, moment),
                ]
            )
    return path


def write_metadata(
    rng: random.Random, directory: Path, stores: dict[str, StoreMeta]
) -> tuple[Path, Path]:
    """menu_hours.csv and timezones.csv of `stores` (a store without a zone sometimes gets a
    row with an empty zone, sometimes none)."""
    hours, zones = directory / "menu_hours.csv", directory / "timezones.csv"
    with hours.open("w", newline="") as h, zones.open("w", newline="") as z:
        hours_out = csv.writer(h, lineterminator="\n")
        zones_out = csv.writer(z, lineterminator="\n")
        hours_out.writerow(["store_id", "day", "start_time_local", "end_time_local"])
        zones_out.writerow(["store_id", "timezone_str"])
        for store_id, meta in stores.items():
            for day, start, end in meta.hours:
                hours_out.writerow([store_id, day, start.isoformat(), end.isoformat()])
            if meta.timezone is not None or rng.random() < 0.5:
                zones_out.writerow([store_id, meta.timezone or ""])
    return hours, zones
