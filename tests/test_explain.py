"""Why a row is what it is: the segments of every store, summed per window (or period) and
rounded as the CSV does, give the store's row exactly — over whole generated data sets and the
randomized reference cases, not a sample. The sums are done here, in exact integers from the
instants as written (half microseconds included), independently of the engine's totals."""

import csv
from datetime import UTC, date, datetime, time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from sampledata.generate import generate_dataset
from shared.ingest.metadata import read_hours, read_timezones
from shared.instants import to_us
from shared.uptime import compute_report
from shared.uptime.compute import plain_batch
from shared.uptime.explain import Store, explain, ticks
from shared.uptime.hours import StoreHours
from shared.uptime.model import StoreMeta
from shared.uptime.periods import Range, compute_period_report
from tests.test_report_reference import random_case

HOUR, DAY = 3_600_000_000 * 2, 86_400_000_000 * 2  # in ticks (half-microseconds)


def rounded(value: Fraction) -> str:
    """Half away from zero (values ≥ 0), two decimals."""
    hundredths = (value * 100 + Fraction(1, 2)).__floor__()
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def summed(segments: list[dict[str, str]], lo: int, hi: int) -> tuple[int, int]:
    """Up and business ticks of the segments within [lo, hi]."""
    up = business = 0
    for s in segments:
        start, end = max(ticks(s["from"]), lo), min(ticks(s["to"]), hi)
        if end > start:
            business += end - start
            up += (end - start) * (s["status"] == "up")
    return up, business


def per_store(polls: list[tuple[str, datetime, bool]], stores: dict[str, StoreMeta]):  # type: ignore[no-untyped-def]
    """Each store's one-store batch: (store_id, Store, Polls)."""
    store_ids, _, sorted_polls = plain_batch(polls, stores)
    for i, store_id in enumerate(store_ids):
        meta = stores.get(store_id, StoreMeta())
        mine = np.flatnonzero(sorted_polls.store == i)
        one = sorted_polls.take(mine)
        yield (
            store_id,
            Store(meta.timezone, StoreHours.from_metas([meta])),
            type(one)(np.zeros(len(one), np.int64), one.ts, one.active),
        )


def standard_rows_from_segments(as_of: datetime, polls, stores) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    now = to_us(as_of) * 2
    rows = []
    for store_id, store, mine in per_store(polls, stores):
        found = explain(to_us(as_of), store, mine, None)
        if not any(now - 16 * DAY // 2 <= ticks(p["at"]) <= now for p in found["polls"]):
            continue  # no poll in the span: no row
        values = [summed(found["segments"], now - w, now) for w in (HOUR, DAY, 7 * DAY)]
        units = [HOUR // 60, HOUR, HOUR]
        up = [rounded(Fraction(u, unit)) for (u, _), unit in zip(values, units, strict=True)]
        down = [rounded(Fraction(b - u, unit)) for (u, b), unit in zip(values, units, strict=True)]
        rows.append((store_id, *up, *down))
    return rows


def test_a_generated_data_set_every_store(tmp_path: Path) -> None:
    generate_dataset(tmp_path, 300, 8.5, seed=11)
    with (tmp_path / "store_status.csv").open() as f:
        polls = [
            (
                r["store_id"],
                datetime.fromisoformat(r["timestamp_utc"].replace(" UTC", "+00:00")),
                r["status"] == "active",
            )
            for r in csv.DictReader(f)
        ]
    stores = metas_of(tmp_path)
    as_of = max(at for _, at, _ in polls)
    expected = [tuple(r) for r in compute_report(as_of, polls, stores)]
    assert len(expected) == 300
    assert standard_rows_from_segments(as_of, polls, stores) == expected


def metas_of(directory: Path) -> dict[str, StoreMeta]:
    """The stores' zones and hours as the ingest reads the files."""
    zones = read_timezones(directory / "timezones.csv")
    hours: dict[str, list[tuple[int, time, time]]] = {}
    for store_id, day, start, end in read_hours(directory / "menu_hours.csv"):
        hours.setdefault(store_id, []).append((day, start, end))
    return {
        store_id: StoreMeta(zones.get(store_id), tuple(hours.get(store_id, ())))
        for store_id in zones.keys() | hours.keys()
    }


@pytest.mark.parametrize("seed", range(300))
def test_reference_cases_every_store(seed: int) -> None:
    as_of, polls, stores = random_case(seed)
    expected = [tuple(r) for r in compute_report(as_of, polls, stores)]
    assert standard_rows_from_segments(as_of, polls, stores) == expected


@pytest.mark.parametrize("seed", range(60))
def test_period_reference_cases_every_store_and_day(seed: int) -> None:
    """Daily periods over a range around the case's as_of (DST changes among them)."""
    as_of, polls, stores = random_case(seed)
    first = date.fromordinal(as_of.date().toordinal() - 9)
    periods = Range(first, date.fromordinal(first.toordinal() + 11), "day")
    expected = [tuple(r) for r in compute_period_report(as_of, polls, stores, periods)]
    now = to_us(as_of) * 2
    rows = []
    for store_id, store, mine in per_store(polls, stores):
        found = explain(to_us(as_of), store, mine, periods)
        span = (ticks(found["span"]["from"]), ticks(found["span"]["to"]))
        if not any(span[0] <= ticks(p["at"]) <= span[1] for p in found["polls"]):
            continue
        for day in found["days"]:
            lo, hi = ticks(day["from"]), min(ticks(day["to"]), now)
            if lo >= now:
                continue
            up, business = summed(found["segments"], lo, hi)
            percent = rounded(Fraction(100 * up, business)) if business else ""
            end = ticks(day["to"])  # the day's polls: before its end, up to as_of
            polls_in = sum(lo <= ticks(p["at"]) < end and ticks(p["at"]) <= now
                           for p in found["polls"])  # fmt: skip
            rows.append((store_id, day["date"], rounded(Fraction(up, HOUR)),
                         rounded(Fraction(business - up, HOUR)), percent,
                         str(polls_in)))  # fmt: skip
    assert rows == expected


def test_an_instant_on_half_a_microsecond_is_written_exactly() -> None:
    """Observations one microsecond apart switch on the half: 10:00:00.0000005."""
    at = datetime(2023, 1, 23, 10, tzinfo=UTC)
    polls = [("s", at, True), ("s", at.replace(microsecond=1), False)]
    [(_, store, mine)] = per_store(polls, {"s": StoreMeta("UTC", ())})
    found = explain(to_us(at) + 1, store, mine, None)
    switches = [s["from"] for s in found["segments"] if s["status"] == "down"]
    assert switches == ["2023-01-23T10:00:00.0000005Z"]
    assert ticks(switches[0]) == to_us(at) * 2 + 1


def test_polls_say_active_or_inactive_and_segments_up_or_down() -> None:
    """A poll keeps the status of the polls file (the spec's `active` / `inactive`); the
    stretches it decides are `up` / `down`. 24x7 in UTC: 10:00 active, 11:00 inactive, as of
    12:00, so up until the switch at 10:30 and down after."""
    at = datetime(2023, 1, 23, 10, tzinfo=UTC)
    polls = [("s", at, True), ("s", at.replace(hour=11), False)]
    [(_, store, mine)] = per_store(polls, {"s": StoreMeta("UTC", ())})
    found = explain(to_us(at.replace(hour=12)), store, mine, None)
    assert [(p["at"], p["status"]) for p in found["polls"]] == [
        ("2023-01-23T10:00:00.000000Z", "active"),
        ("2023-01-23T11:00:00.000000Z", "inactive"),
    ]
    assert [(s["to"], s["status"]) for s in found["segments"]] == [
        ("2023-01-23T10:30:00.000000Z", "up"),
        ("2023-01-23T12:00:00.000000Z", "down"),
    ]
