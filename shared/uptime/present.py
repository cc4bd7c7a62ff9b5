"""The present of a batch of stores at `now` (the latest poll), by the report's rules, and the
events its changes make. Pure: arrays in, arrays and plain values out.

- open: `now` lies in the store's business hours;
- down: its observation nearest to now (its last one: no poll is later than now) is inactive,
  with the report's observation rule over the span [now − 8 days, now];
- since: the start of the stretch of business time, going back from now, that has had this
  status without a break (closed hours do not break it). It is never before the span: a store
  up all week is up since the span's first business instant. A store whose status changed
  while it was closed (its observations are all its polls) has no business time with the new
  status yet: since is the instant the status changed, halfway between the two observations;
- down time: its business time in [since, now]; `alert` is when that reached the alert
  threshold (a store that goes down 10 minutes before closing reaches 30 minutes 20 minutes
  after it opens again).

Instants are µs since the epoch; the switch between two observations may fall on half a
microsecond, and `since` is then the next whole one.
"""

from dataclasses import dataclass

import numpy as np

from shared.uptime.compute import SPAN_US, in_span, stores_of
from shared.uptime.hours import StoreHours, business_intervals
from shared.uptime.polls import Bools, Ints, Polls
from shared.uptime.timeline import STRIDE, TICKS_PER_US, Timeline, cut, totals

NOT_YET = -1  # `alert` of a store not down long enough (or not down)


@dataclass(frozen=True)
class States:
    """The present of the batch's stores that have polls in the span (batch indexes, in
    order): each an entry of every column."""

    store: Ints
    open: Bools
    down: Bools
    since: Ints
    last_poll: Ints
    down_us: Ints  # business time in [since, now] of a down store (0 for an up one)
    alert: Ints  # when the down time reached the threshold (NOT_YET: not reached)


def evaluate(now_us: int, hours: StoreHours, polls: Polls, alert_after_us: int) -> States:
    """The present at `now_us` of a batch: `polls.store` and `hours.owner` index the batch's
    stores (as many as `hours.zone`); the polls sorted by (store, ts), one per instant."""
    n = len(hours.zone)
    first = now_us - SPAN_US
    polls = in_span(polls, first, now_us)
    lo, hi = np.full(n, first, np.int64), np.full(n, now_us, np.int64)
    intervals = business_intervals(hours, lo, hi)
    timeline = cut(n, polls, intervals, first)
    present = stores_of(polls)
    if len(present) == 0:
        empty = np.empty(0, np.int64)
        return States(empty, empty.astype(bool), empty.astype(bool), empty, empty, empty, empty)

    is_open = np.zeros(n, dtype=bool)
    is_open[intervals.owner[(intervals.start <= now_us) & (intervals.end > now_us)]] = True
    last_poll = polls.ts[_last_of_runs(polls.store)]

    # The status now: that of each store's last observation.
    obs = np.flatnonzero(timeline.observed)
    obs_store = polls.store[obs]
    runs = _last_of_runs(obs_store)
    down_of = np.zeros(n, dtype=bool)
    down_of[obs_store[runs]] = ~polls.active[obs[runs]]

    # Since: the first piece after the store's last piece of the other status; when there is
    # no piece of this status, the switch between its last observation of the other status
    # and the next one (none: the span's start).
    pieces = timeline.piece_store
    lo_piece, hi_piece = np.searchsorted(pieces, present), np.searchsorted(pieces, present + 1)
    after = _after_last(pieces, timeline.piece_active == down_of[pieces], n)[present]
    has = (lo_piece < hi_piece) & (after < hi_piece)
    at_piece = timeline.piece_start[np.minimum(np.maximum(after, lo_piece), len(pieces) - 1)]
    obs_ticks = obs_store * STRIDE + (polls.ts[obs] - first) * TICKS_PER_US
    lo_obs = np.searchsorted(obs_store, present)
    j = _after_last(obs_store, polls.active[obs] == down_of[obs_store], n)[present]
    switched = j > lo_obs
    at_switch = np.where(
        switched,
        (obs_ticks[np.maximum(j - 1, 0)] + obs_ticks[np.minimum(j, len(obs) - 1)]) // 2,
        present * STRIDE,
    )
    tick = np.where(has, at_piece, at_switch) - present * STRIDE
    since = first + (tick + TICKS_PER_US - 1) // TICKS_PER_US

    down = down_of[present]
    _, business = totals(timeline, present, since, np.full(len(present), now_us, np.int64))
    down_us = np.where(down, business // TICKS_PER_US, 0)
    alert = np.full(len(present), NOT_YET, np.int64)
    threshold = alert_after_us * TICKS_PER_US
    for i in np.flatnonzero(down & (business >= threshold)).tolist():
        origin = int(present[i]) * STRIDE + int(tick[i])
        alert[i] = first + _reached(timeline, origin, threshold) // TICKS_PER_US
    return States(present, is_open[present], down, since, last_poll, down_us, alert)


def _reached(timeline: Timeline, origin: int, threshold: int) -> int:
    """Where (in ticks from the store's origin on the axis) the business time from `origin`
    reaches `threshold` ticks (it does: the caller checked)."""
    store = origin // STRIDE
    start, end = timeline.piece_start, timeline.piece_end
    lo, hi = np.searchsorted(start, [origin, (store + 1) * STRIDE])
    left = threshold
    for k in range(max(int(lo) - 1, 0), int(hi)):
        a, b = max(int(start[k]), origin), int(end[k])
        if b <= a:
            continue
        if b - a >= left:
            return a + left - store * STRIDE
        left -= b - a
    raise AssertionError("the business time was counted before")


def _last_of_runs(sorted_values: Ints) -> Ints:
    """The index of the last item of each run of equal values."""
    ends: Ints = np.append(np.flatnonzero(np.diff(sorted_values)), len(sorted_values) - 1)
    return ends


def _after_last(owner: Ints, flag: Bools, n: int) -> Ints:
    """Per owner 0 … n − 1 (`owner` sorted): the index after its last flagged item, or its
    first index when none is flagged (0 for an owner without items)."""
    result = np.zeros(n, np.int64)
    if len(owner) == 0:
        return result
    running = np.maximum.accumulate(np.where(flag, np.arange(len(flag)), -1))
    ends = _last_of_runs(owner)
    starts = np.r_[0, ends[:-1] + 1]
    result[owner[ends]] = np.maximum(running[ends] + 1, starts)
    return result


@dataclass(frozen=True)
class Event:
    """An event a store's change makes: its type, when it happened, the store (batch index),
    and the outage it is about (start, end: NOT_YET while it goes on)."""

    type: str
    at: int
    store: int
    start: int
    end: int = NOT_YET


def changes(states: States, alerted_since: dict[int, int]) -> tuple[list[Event], dict[int, int]]:
    """The events of the batch's new states, given the outages announced so far (store →
    the start of its outage, for the stores a store.down was sent for and no store.up yet);
    the outages announced after them. At most one store.down per outage: a store already
    announced stays so until it is up, whatever late polls say of its start."""
    events: list[Event] = []
    announced = dict(alerted_since)
    for i, store in enumerate(states.store.tolist()):
        down, since = bool(states.down[i]), int(states.since[i])
        if store not in announced:
            if down and states.alert[i] != NOT_YET:
                events.append(Event("store.down", int(states.alert[i]), store, since))
                announced[store] = since
        elif not down:
            start = announced.pop(store)
            end = max(since, start)
            events.append(Event("store.up", end, store, start, end))
    return events, announced


def business_between(hours: StoreHours, owner: Ints, start: Ints, end: Ints) -> Ints:
    """Business time in µs of each [start, end) of a store of the batch (`owner`, distinct)."""
    if len(owner) == 0:
        return np.empty(0, np.int64)
    index = np.full(len(hours.zone), -1, np.int64)
    index[owner] = np.arange(len(owner))
    keep = index[hours.owner] >= 0
    mine = StoreHours(
        hours.zone[owner],
        index[hours.owner[keep]],
        hours.day[keep],
        hours.start_us[keep],
        hours.end_us[keep],
    )
    intervals = business_intervals(mine, start, np.maximum(end - 1, start))
    length = np.where(
        end[intervals.owner] > start[intervals.owner], intervals.end - intervals.start, 0
    )
    result: Ints = np.bincount(intervals.owner, weights=length, minlength=len(owner)).astype(
        np.int64
    )
    return result
