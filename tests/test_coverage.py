"""Coverage and ranking (SPEC.md, "Coverage and ranking"), pure: the period CSV's `polls`
column, a standard report's percent and polls per window, the fleet in the window before, the
stores without a poll, and each store over the whole report with its worst period. Every
expected value is computed by hand in the comment beside it."""

from datetime import UTC, date, datetime, time

import numpy as np
import pytest

from shared.instants import US_PER_HOUR, to_us
from shared.uptime.compute import plain_batch, standard_figures
from shared.uptime.model import StoreMeta
from shared.uptime.periods import Range, compute_period_report, period_figures

HOUR_TICKS = 2 * US_PER_HOUR  # the engine's ticks are half-microseconds


def U(d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0, mo: int = 1) -> datetime:
    return datetime(2023, mo, d, h, mi, s, us, tzinfo=UTC)


def test_polls_column_counts_each_period_from_its_start_to_before_its_end_up_to_as_of() -> None:
    # America/New_York, 2023-03-11 .. 2023-03-13 by day, as_of Mar 13 12:00Z.
    # Midnights: Mar 11 05:00Z, Mar 12 05:00Z, Mar 13 04:00Z (a 23-hour Mar 12), Mar 14 04:00Z.
    # Mar 11 04:59:59Z is before the range (in the span's lead-in): no period.
    # Mar 11 05:00Z (the first instant of Mar 11) and Mar 12 04:59:59.999999Z: Mar 11 → 2.
    # Mar 12 05:00Z → Mar 12 → 1. Mar 13 04:00Z (its first instant) and 12:00Z (= as_of,
    # counted) → 2; 12:00:00.000001Z is after as_of: not counted.
    as_of = U(13, 12, mo=3)
    instants = [
        U(11, 4, 59, 59, mo=3),
        U(11, 5, mo=3),
        U(12, 4, 59, 59, 999_999, mo=3),
        U(12, 5, mo=3),
        U(13, 4, mo=3),
        U(13, 12, mo=3),
        U(13, 12, 0, 0, 1, mo=3),
    ]
    polls = [("ny", t, True) for t in instants]
    stores = {"ny": StoreMeta("America/New_York")}
    rows = compute_period_report(
        as_of, polls, stores, Range(date(2023, 3, 11), date(2023, 3, 13), "day")
    )
    assert [(r.period_start, r.polls) for r in rows] == [
        ("2023-03-11", "2"),
        ("2023-03-12", "1"),
        ("2023-03-13", "2"),
    ]


def _period_batch(
    as_of: datetime, polls: list[tuple[str, datetime, bool]], stores: dict[str, StoreMeta]
) -> tuple[list[str], object]:
    names, hours, batch = plain_batch(polls, stores)
    periods = Range(date(2023, 1, 9), date(2023, 1, 11), "day")
    return names, period_figures(to_us(as_of), hours, batch, periods)


def test_each_store_over_the_range_and_its_worst_period() -> None:
    # UTC stores, 2023-01-09 .. 01-11 by day, as_of Jan 11 12:00Z (the last day counted up to
    # noon: partial).
    # "a", 24x7: active Jan 9 00:00, inactive Jan 10 00:00, active Jan 11 00:00 → switches at
    #   Jan 9 12:00 and Jan 10 12:00. Jan 9: up 12 h of 24 → 50 %; Jan 10: up 12 h of 24 →
    #   50 %; Jan 11 (to noon): up 12 h of 12 → 100 %. Worst: 50.00, the earliest: Jan 9
    #   (index 0). Whole: business 60 h, up 36 h, polls 3.
    # "b", open 09:00-10:00 on Tuesdays only (Jan 10): its only poll Jan 10 09:30 inactive.
    #   Jan 9 and Jan 11: no business time; Jan 10: down 1 h → 0 %. Worst: Jan 10 (index 1),
    #   0.00. Whole: business 1 h, up 0, polls 1.
    # "c", open Sundays only (none of these dates): one poll Jan 9 06:00. No business time
    #   in any period: no worst period (−1). Polls 1.
    as_of = U(11, 12)
    polls = [
        ("a", U(9), True),
        ("a", U(10), False),
        ("a", U(11), True),
        ("b", U(10, 9, 30), False),
        ("c", U(9, 6), True),
    ]
    stores = {
        "a": StoreMeta("UTC"),
        "b": StoreMeta("UTC", ((1, time(9), time(10)),)),
        "c": StoreMeta("UTC", ((6, time(9), time(10)),)),
    }
    names, figures = _period_batch(as_of, polls, stores)
    totals = figures.stores()  # type: ignore[attr-defined]
    assert names == ["a", "b", "c"]
    assert totals.store.tolist() == [0, 1, 2]
    assert (totals.business // HOUR_TICKS).tolist() == [60, 1, 0]
    assert (totals.up // HOUR_TICKS).tolist() == [36, 0, 0]
    assert totals.polls.tolist() == [3, 1, 1]
    assert totals.worst_period.tolist() == [0, 1, -1]
    assert totals.worst_percent.tolist() == [5000, 0, -1]
    summary = figures.summary()  # type: ignore[attr-defined]
    assert summary.partial is True
    # Stores without a poll per period: Jan 9: b (a and c have one); Jan 10: c; Jan 11: b, c;
    # all three have a row in each.
    assert summary.no_polls == {"2023-01-09": 1, "2023-01-10": 1, "2023-01-11": 2}
    assert summary.rows == {"2023-01-09": 3, "2023-01-10": 3, "2023-01-11": 3}
    answer = summary.answer()
    # The previous period's fleet percent: none for Jan 9; Jan 10's is Jan 9's: a 12 of 24 h
    # (b, c no business) → 50.00; Jan 11's is Jan 10's: a 12 + b 0 of 25 h → 48.00.
    assert [p["previous_uptime_percent"] for p in answer["periods"]] == [None, 50.0, 48.0]
    assert answer["partial_last_period"] is True
    assert answer["stores_without_business_time"] == 1


def test_the_worst_period_is_one_with_a_poll() -> None:
    # 24x7 UTC, as_of Jan 12 00:00. Active Jan 9 12:00, inactive Jan 10 00:00 (switch Jan 9
    # 18:00), then nothing: Jan 9 up 18 of 24 h (75 %, 2 polls), Jan 10 and 11 down all day
    # (0 %) but with one poll on Jan 10 and none on Jan 11. Worst measured: Jan 10, 0 %.
    polls = [("a", U(9, 12), True), ("a", U(10), False)]
    _, figures = _period_batch(U(12), polls, {"a": StoreMeta("UTC")})
    totals = figures.stores()  # type: ignore[attr-defined]
    assert totals.worst_period.tolist() == [1] and totals.worst_percent.tolist() == [0]
    # Without the poll of Jan 10 (Jan 9 all up then, Jan 10 and 11 carried up): only Jan 9
    # is measured: 100 %.
    _, figures = _period_batch(U(12), polls[:1], {"a": StoreMeta("UTC")})
    totals = figures.stores()  # type: ignore[attr-defined]
    assert totals.worst_period.tolist() == [0] and totals.worst_percent.tolist() == [10000]


def test_a_period_report_ending_before_as_of_is_not_partial() -> None:
    names, figures = _period_batch(U(20), [("a", U(9), True)], {"a": StoreMeta("UTC")})
    assert names == ["a"] and figures.summary().partial is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("tied", [True, False])
def test_the_worst_period_is_the_lowest_percent_as_shown_then_the_earliest(tied: bool) -> None:
    # 24x7 UTC, as_of Jan 12 00:00 (every day whole). Active Jan 9 00:00, inactive Jan 9
    # 18:00, active Jan 10 06:00 and Jan 11 06:00 (switches Jan 9 09:00 and Jan 10 00:00), then
    # inactive at Jan 11 12:00 (tied: switch Jan 11 09:00, Jan 11 up 9 h → 37.50 % like Jan 9)
    # or at Jan 11 14:00 (switch Jan 11 10:00, up 10 h → 41.67 %). Jan 9: up 9 h → 37.50 %;
    # Jan 10: up 24 h → 100 %. Worst: Jan 9 either way (tied: the earliest of the two 37.50).
    last = U(11, 12) if tied else U(11, 14)
    polls = [("a", U(9), True), ("a", U(9, 18), False), ("a", U(10, 6), True)]
    polls += [("a", U(11, 6), True), ("a", last, False)]
    _, figures = _period_batch(U(12), polls, {"a": StoreMeta("UTC")})
    totals = figures.stores()  # type: ignore[attr-defined]
    assert totals.worst_period.tolist() == [0] and totals.worst_percent.tolist() == [3750]


def test_standard_percent_and_polls_per_window_and_the_window_before() -> None:
    # 24x7 stores, as_of Jan 10 12:00Z. "s": inactive Jan 2 12:00 (= as_of − 8 days, the span's
    # first instant), active Jan 3 12:00 (= as_of − 7 days), active Jan 9 12:00 (= as_of −
    # 24 h), active Jan 10 11:00, inactive Jan 10 12:00 (= as_of). Switches: Jan 3 00:00 (down
    # → up) and Jan 10 11:30 (up → down).
    # Hour [11:00, 12:00]: up 30 min of 60 → 50.00 %; polls 11:00 and 12:00 → 2.
    # Day [Jan 9 12:00, Jan 10 12:00]: up 23.5 h of 24 → 97.916… → 97.92 %; polls 3.
    # Week [Jan 3 12:00, Jan 10 12:00]: up 167.5 h of 168 → 99.702… → 99.70 %; polls 4 (the
    # window holds both its ends).
    # The hour before [10:00, 11:00] and the day before [Jan 8 12:00, Jan 9 12:00]: all up.
    # "t": one active poll Jan 5 00:00 (in the week only): up all the time, 100 % in each
    # window; polls 0, 0, 1.
    as_of = U(10, 12)
    polls = [
        ("s", U(2, 12), False),
        ("s", U(3, 12), True),
        ("s", U(9, 12), True),
        ("s", U(10, 11), True),
        ("s", U(10, 12), False),
        ("t", U(5), True),
    ]
    names, hours, batch = plain_batch(polls, {})
    figures = standard_figures(to_us(as_of), hours, batch)
    table = figures.table()
    assert names == ["s", "t"]
    assert [extra.tolist() for extra in table.extras] == [
        [5000, 10000],
        [9792, 10000],
        [9970, 10000],
        [2, 0],
        [3, 0],
        [4, 1],
    ]
    summary = figures.summary()
    assert summary.no_polls == {"last_hour": 1, "last_day": 1, "last_week": 0}
    answer = summary.answer()
    assert [w["stores_without_polls"] for w in answer["windows"]] == [1, 1, 0]
    # The hour before: both stores up 60 min → 100 %; the day before likewise; no week before.
    assert [w["previous_uptime_percent"] for w in answer["windows"]] == [100.0, 100.0, None]
    totals = figures.stores()
    assert (totals.business * 2 // HOUR_TICKS).tolist() == [336, 336]  # 168 h each
    assert (totals.up * 2 // HOUR_TICKS).tolist() == [335, 336]  # s up 167.5 h
    assert totals.polls.tolist() == [4, 1]
    assert np.all(totals.worst_period == -1)
