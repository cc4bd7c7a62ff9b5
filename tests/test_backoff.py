"""The backoff between tries: exponential, bounded, with equal jitter (pure: no services)."""

import random

import pytest

from shared.backoff import delay


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (40, 30.0)]
)
def test_a_delay_is_between_half_its_ceiling_and_the_ceiling(attempt: int, ceiling: float) -> None:
    assert delay(attempt, rand=lambda: 0.0) == ceiling / 2
    assert delay(attempt, rand=lambda: 0.999999) == pytest.approx(ceiling, rel=1e-5)
    assert delay(attempt, rand=lambda: 0.5) == 0.75 * ceiling


def test_the_bound_holds_with_jitter() -> None:
    assert delay(3, first=1.0, most=5.0, rand=lambda: 0.0) == 2.0
    assert delay(10, first=1.0, most=5.0, rand=lambda: 0.0) == 2.5
    assert max(delay(10, first=1.0, most=5.0) for _ in range(1000)) <= 5.0


def test_waits_of_workers_failing_together_spread_out() -> None:
    source = random.Random(19)
    waits = [delay(5, rand=source.random) for _ in range(200)]
    assert all(4.0 <= w < 8.0 for w in waits)
    assert len({round(w, 3) for w in waits}) > 150  # not all in the same instant
    assert max(waits) - min(waits) > 3.0
