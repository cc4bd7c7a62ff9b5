"""Reports from daily figures (shared/uptime/daily.py, fromdays.py) against the same reports
from every poll (compute.py, periods.py, themselves checked against the independent reference
in test_report_reference.py): every figure — each CSV field, the values served beside it, the
summary, each store's totals — the same, to the tick, on the reference's randomized DST weeks
and period cases, with all figures known, some missing, and some stale (computed before part
of the polls were stored)."""

import itertools
import random
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import pytest

from shared.instants import US_PER_DAY, to_us
from shared.uptime.compute import plain_batch, standard_figures
from shared.uptime.daily import DailyFigures, combined, daily_figures, unit_figures
from shared.uptime.fromdays import (
    Counted,
    concat,
    count,
    days_to_read,
    month_units,
    periods_of,
    plan,
    report_axis,
    stale,
    standard_of,
    whole_months,
)
from shared.uptime.hours import StoreHours
from shared.uptime.model import StoreMeta
from shared.uptime.periods import Periods, Range, period_figures
from shared.uptime.polls import Polls
from tests.test_report_reference import random_case, random_period_case

Scenario = Callable[[random.Random, Polls], tuple[Polls, Polls, float]]


def all_known(rng: random.Random, polls: Polls) -> tuple[Polls, Polls, float]:
    return polls, Polls.empty(), 0.0


def some_missing(rng: random.Random, polls: Polls) -> tuple[Polls, Polls, float]:
    return polls, Polls.empty(), 0.3


def some_stale(rng: random.Random, polls: Polls) -> tuple[Polls, Polls, float]:
    """Figures computed when a random fifth of the polls (some of them replacing a stored
    poll's status) had not arrived yet."""
    late = np.array([rng.random() < 0.2 for _ in range(len(polls))], bool)
    earlier = polls.take(np.flatnonzero(~late))
    flipped = np.array([rng.random() < 0.3 for _ in range(len(polls))], bool) & late
    # A late poll replacing one stored before with the other status: the figures saw the old.
    before = Polls(polls.store[flipped], polls.ts[flipped], ~polls.active[flipped])
    merged = Polls.concat([earlier, before])
    order = np.lexsort((merged.ts, merged.store))
    return merged.take(order), polls.take(np.flatnonzero(late)), 0.1


SCENARIOS = {"known": all_known, "missing": some_missing, "stale": some_stale, "sparse": all_known}


def thinned(scenario: str, seed: int, polls: Polls) -> Polls:
    """For the sparse scenario most polls gone: stores with days between polls, dates far from
    any poll (their figures incomplete, or without business time)."""
    if scenario != "sparse":
        return polls
    rng = random.Random(seed)
    return polls.take(np.flatnonzero([rng.random() < 0.15 for _ in range(len(polls))]))


def via_figures(
    as_of_us: int,
    hours: StoreHours,
    polls: Polls,
    periods: Range | None,
    scenario: Scenario,
    rng: random.Random,
    groups: int = 1,
    units: bool = False,
) -> tuple[object, Counted]:
    """The report of a batch the way the workers compute it from figures: figures made from
    the polls the scenario says were stored then, known where they exist and no later poll
    may have changed them; then the poll dates read from all polls, in `groups` of stores.
    `units`: the dates taken in units of random widths (as month rows are), each from its
    dates' figures `combined` or computed whole, wherever the cells' edges fall."""
    axis, cells = report_axis(as_of_us, hours, periods)
    n = len(hours.zone)
    if not axis.dates:
        figures, known = DailyFigures.unknown(n, 0), np.zeros((n, 0), bool)
    else:
        then, newer, missing = scenario(rng, polls)
        # As the figures jobs compute them: a few dates at a time, each step on its own.
        figures = DailyFigures.unknown(n, len(axis.dates))
        at = 0
        while at < len(axis.dates):
            step = rng.randint(1, 7)
            part = daily_figures(hours, then, axis.dates[at : at + step])
            for name in DailyFigures.__annotations__:
                getattr(figures, name)[:, at : at + step] = getattr(part, name)
            at += step
        if units:
            cut = rng.choice([0.1, 0.3, 0.6])
            starts = [0, *(c for c in range(1, len(axis.dates)) if rng.random() < cut)]
            axis, summed = axis.units(starts), combined(figures, np.array(starts))
            # As month rows are: some stores' units computed whole from their polls (each on
            # its own), the others' their dates' figures combined.
            whole = [
                unit_figures(hours, then, axis.bounds[:, j : j + 2]) for j in range(len(axis.dates))
            ]
            mine = np.array([rng.random() < 0.5 for _ in range(n)])[:, None]
            figures = DailyFigures(
                *(
                    np.where(
                        mine, np.hstack([getattr(w, name) for w in whole]), getattr(summed, name)
                    )
                    for name in DailyFigures.__annotations__
                )
            )
        exists = np.array([[rng.random() >= missing for _ in axis.dates] for _ in range(n)], bool)
        known = exists.reshape(n, len(axis.dates)) & ~stale(axis, newer)
    chosen = plan(axis, cells, figures, known)
    bounds = np.linspace(0, n, groups + 1).astype(int)
    parts = []
    for first, last in itertools.pairwise(bounds):
        day, store = days_to_read(chosen, first, last)
        # What the worker reads: the polls of those UTC days for those stores.
        wanted = set(zip(day.tolist(), store.tolist(), strict=True))
        days = (polls.ts // US_PER_DAY).tolist()
        mine = np.array(
            [pair in wanted for pair in zip(days, polls.store.tolist(), strict=True)], bool
        )
        parts.append(count(chosen, hours, polls.take(np.flatnonzero(mine)), first, last))
    counted = concat(parts)
    if periods is None:
        return standard_of(counted), counted
    return periods_of(counted, cells, periods, as_of_us), counted


def same(old: object, new: object, names: list[str]) -> None:
    """Every figure of the two: the table's texts and keys (extras included), the summary,
    each store's totals."""
    old_table, new_table = old.table(), new.table()  # type: ignore[attr-defined]
    assert old_table.rows(names, lambda *row: row) == new_table.rows(names, lambda *row: row)
    assert np.array_equal(old_table.keys(), new_table.keys())
    assert old.summary() == new.summary()  # type: ignore[attr-defined]
    for field in ("store", "business", "up", "polls", "worst_period", "worst_percent"):
        a, b = getattr(old.stores(), field), getattr(new.stores(), field)  # type: ignore[attr-defined]
        assert np.array_equal(a, b), field


@pytest.mark.parametrize("units", [False, True], ids=["dates", "units"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("seed", range(150))
def test_standard_reports_from_figures_are_the_reports_from_polls(
    seed: int, scenario: str, units: bool
) -> None:
    as_of, polls, stores = random_case(seed)
    names, hours, batch = plain_batch(polls, stores)
    batch = thinned(scenario, seed, batch)
    as_of_us = to_us(as_of)
    old = standard_figures(as_of_us, hours, batch)
    rng = random.Random(seed)
    new, _ = via_figures(
        as_of_us, hours, batch, None, SCENARIOS[scenario], rng, 1 + seed % 3, units
    )
    same(old, new, names)


@pytest.mark.parametrize("units", [False, True], ids=["dates", "units"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("seed", range(150))
def test_period_reports_from_figures_are_the_reports_from_polls(
    seed: int, scenario: str, units: bool
) -> None:
    as_of, polls, stores, periods = random_period_case(seed)
    names, hours, batch = plain_batch(polls, stores)
    batch = thinned(scenario, seed, batch)
    as_of_us = to_us(as_of)
    old = period_figures(as_of_us, hours, batch, periods)
    rng = random.Random(seed)
    new, _ = via_figures(
        as_of_us, hours, batch, periods, SCENARIOS[scenario], rng, 1 + seed % 3, units
    )
    assert isinstance(new, Periods)
    same(old, new, names)


@pytest.mark.parametrize(
    ("periods", "months"),
    [
        # The bench's year: December's first dates and the last month's are periods of their
        # own, partly on the axis (two dates before the first through the one after the last).
        (Range(date(2025, 12, 5), date(2026, 12, 5), "month"), [(2026, m) for m in range(1, 12)]),
        # Whole months from their first date: the axis starts on Dec 30 and ends on Apr 1.
        (Range(date(2026, 1, 1), date(2026, 3, 31), "month"), [(2026, 1), (2026, 2), (2026, 3)]),
        # A total's first bound (Jan 3) cuts January; its axis ends on Apr 30, short of May.
        (Range(date(2026, 1, 3), date(2026, 4, 29), "total"), [(2026, 2), (2026, 3)]),
        (Range(date(2026, 1, 3), date(2026, 4, 30), "total"), [(2026, 2), (2026, 3), (2026, 4)]),
        # Weeks and days cut every month.
        (Range(date(2026, 1, 1), date(2026, 3, 31), "week"), []),
        (Range(date(2026, 1, 1), date(2026, 3, 31), "day"), []),
    ],
)
def test_whole_months(periods: Range, months: list[tuple[int, int]]) -> None:
    assert whole_months(periods) == [date(y, m, 1) for y, m in months]


def test_month_units() -> None:
    """The axis of Jan 30 … Mar 2 (2024, a leap year) with February one unit: Jan 30, Jan 31,
    February (29 dates), Mar 1, Mar 2; each unit bounded by its store's midnights."""
    hours = StoreHours.from_metas([StoreMeta()])
    periods = Range(date(2024, 2, 1), date(2024, 2, 29), "total")
    axis, _ = report_axis(to_us(datetime(2024, 3, 1, tzinfo=UTC)), hours, periods)
    assert axis.dates[0] == date(2024, 1, 30) and axis.dates[-1] == date(2024, 3, 1)
    units = month_units(axis, [date(2024, 2, 1)])
    assert units.dates == [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 3, 1)]
    assert units.widths.tolist() == [1, 1, 29, 1]
    midnight = to_us(datetime(2024, 2, 1, 6, tzinfo=UTC))  # Chicago (the default zone), CST
    assert units.bounds[0, 2] == midnight
    assert units.bounds[0, 3] == midnight + 29 * US_PER_DAY
