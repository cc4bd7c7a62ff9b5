"""The present of a store (open, down, since, when store.down fires) and the events of its
changes, on cases computed by hand from the spec's definitions ("The present")."""

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from shared.instants import US_PER_MINUTE, from_us, to_us
from shared.uptime.compute import plain_batch
from shared.uptime.model import StoreMeta
from shared.uptime.present import NOT_YET, States, business_between, changes, evaluate

THIRTY = 30 * US_PER_MINUTE
EVERY_DAY_9_TO_5 = tuple((day, time(9), time(17)) for day in range(7))
OVERNIGHT = tuple((day, time(22), time(2)) for day in range(7))
SUNDAY_1_TO_4 = ((6, time(1), time(4)),)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def present(
    now: str, polls: list[tuple[str, bool]], meta: StoreMeta
) -> tuple[bool, bool, datetime, int, datetime | None]:
    """(open, down, since, down minutes, alert) of one store."""
    _, hours, batch = plain_batch([("s", at(t), a) for t, a in polls], {"s": meta})
    states = evaluate(to_us(at(now)), hours, batch, THIRTY)
    assert states.store.tolist() == [0]
    alert = None if states.alert[0] == NOT_YET else from_us(int(states.alert[0]))
    return (
        bool(states.open[0]),
        bool(states.down[0]),
        from_us(int(states.since[0])),
        int(states.down_us[0]) // US_PER_MINUTE,
        alert,
    )


UTC_9_TO_5 = StoreMeta("UTC", EVERY_DAY_9_TO_5)


@pytest.mark.parametrize(
    ("now", "polls", "meta", "expected"),
    [
        pytest.param(
            "2023-01-02 09:40",
            [("2023-01-01 16:00", True), ("2023-01-02 09:05", False)],
            UTC_9_TO_5,
            # The switch (00:32:30) is at night: down from the opening, 30 minutes at 09:30.
            (True, True, at("2023-01-02 09:00"), 40, at("2023-01-02 09:30")),
            id="opens down",
        ),
        pytest.param(
            "2023-01-03 09:25",
            [("2023-01-02 16:45", True), ("2023-01-02 16:55", False), ("2023-01-03 09:25", False)],
            UTC_9_TO_5,
            # Down at 16:50: 10 minutes before closing, 20 more after opening.
            (True, True, at("2023-01-02 16:50"), 35, at("2023-01-03 09:20")),
            id="down 10 minutes before closing: alerts 20 minutes after it opens",
        ),
        pytest.param(
            "2023-01-03 09:15",
            [("2023-01-02 16:45", True), ("2023-01-02 16:55", False), ("2023-01-03 09:15", False)],
            UTC_9_TO_5,
            (True, True, at("2023-01-02 16:50"), 25, None),
            id="down 10 minutes before closing: not yet at 09:15",
        ),
        pytest.param(
            "2023-01-02 20:00",
            [("2023-01-02 16:45", True), ("2023-01-02 16:55", False)],
            UTC_9_TO_5,
            (False, True, at("2023-01-02 16:50"), 10, None),
            id="closed now, down since before closing",
        ),
        pytest.param(
            "2023-01-03 00:00",
            [("2023-01-02 22:10", True), ("2023-01-02 23:50", False)],
            StoreMeta("UTC", OVERNIGHT),
            # Open 22:00–02:00: down from 23:00 (the midpoint), open at midnight.
            (True, True, at("2023-01-02 23:00"), 60, at("2023-01-02 23:30")),
            id="overnight shift",
        ),
        pytest.param(
            "2023-01-04 01:10",
            [("2023-01-02 23:50", False), ("2023-01-03 23:40", False), ("2023-01-04 01:10", False)],
            StoreMeta("UTC", OVERNIGHT),
            # Down in every observation: since the span's first business instant (its start,
            # 01:10 on Dec 27, inside the shift of Dec 26–27): 50 minutes of that shift, seven
            # whole shifts of 4 hours, and 22:00–01:10 of the last one.
            (True, True, at("2022-12-27 01:10"), 50 + 7 * 4 * 60 + 190, at("2022-12-27 01:40")),
            id="overnight shift, down over the whole span",
        ),
        pytest.param(
            "2023-03-12 08:20",
            [("2023-03-12 07:40", True), ("2023-03-12 07:50", False)],
            StoreMeta("America/Chicago", SUNDAY_1_TO_4),
            # Sunday 01:00 CST (07:00Z) to 04:00 CDT (09:00Z): down from 07:45Z (01:45 CST);
            # 30 business minutes at 08:15Z, 03:15 CDT on the wall clock.
            (True, True, at("2023-03-12 07:45"), 35, at("2023-03-12 08:15")),
            id="DST day (spring forward)",
        ),
        pytest.param(
            "2023-01-02 15:00",
            [("2023-01-02 10:00", True), ("2023-01-02 11:00", False)],
            StoreMeta("UTC"),
            # Open 24x7, no poll since 11:00: down since 10:30 for 4.5 hours.
            (True, True, at("2023-01-02 10:30"), 270, at("2023-01-02 11:00")),
            id="no poll for hours",
        ),
        pytest.param(
            "2023-01-02 21:00",
            [("2023-01-02 18:00", True), ("2023-01-02 20:00", False)],
            UTC_9_TO_5,
            # No poll in business hours: all polls observe; the day's hours were decided by
            # 18:00 (up), and no business time has been down yet: since the switch, 19:00.
            (False, True, at("2023-01-02 19:00"), 0, None),
            id="changed while closed",
        ),
        pytest.param(
            "2023-01-02 10:00",
            [("2023-01-02 09:00", False), ("2023-01-02 10:00", True)],
            UTC_9_TO_5,
            (True, False, at("2023-01-02 09:30"), 0, None),
            id="up again",
        ),
    ],
)
def test_present_of_a_store(
    now: str,
    polls: list[tuple[str, bool]],
    meta: StoreMeta,
    expected: tuple[bool, bool, datetime, int, datetime | None],
) -> None:
    assert present(now, polls, meta) == expected


def test_up_over_the_whole_span_is_up_since_its_start() -> None:
    start = at("2023-01-01 00:00")
    polls = [((start + timedelta(hours=h)).isoformat()[:16], True) for h in range(24 * 10)]
    now = polls[-1][0]
    assert present(now, polls, StoreMeta("UTC")) == (
        True,
        False,
        at(now) - timedelta(days=8),
        0,
        None,
    )


def _states(down: list[bool], since: list[int], alert: list[int]) -> States:
    n = len(down)
    ints = np.zeros(n, np.int64)
    return States(
        np.arange(n),
        np.ones(n, bool),
        np.array(down),
        np.array(since, np.int64),
        ints,
        ints,
        np.array(alert, np.int64),
    )


def test_changes_announce_each_outage_once() -> None:
    states = _states(
        [True, True, False, False, True], [10, 20, 30, 40, 50], [15, NOT_YET] + [NOT_YET] * 3
    )
    events, announced = changes(states, {2: 5, 3: 45, 4: 1})
    assert [(e.type, e.store, e.at, e.start, e.end) for e in events] == [
        ("store.down", 0, 15, 10, NOT_YET),  # down long enough
        ("store.up", 2, 30, 5, 30),  # announced, up since 30
        ("store.up", 3, 45, 45, 45),  # a late poll says up before the outage began
    ]
    # Store 1 is not down long enough yet; store 4 stays announced (its start as announced).
    assert announced == {0: 10, 4: 1}


def test_business_between() -> None:
    _, hours, _ = plain_batch([("s", at("2023-01-02 12:00"), True)], {"s": UTC_9_TO_5})
    starts = np.array([to_us(at("2023-01-02 16:50"))])
    ends = np.array([to_us(at("2023-01-03 09:20"))])
    assert business_between(hours, np.array([0]), starts, ends).tolist() == [THIRTY]
