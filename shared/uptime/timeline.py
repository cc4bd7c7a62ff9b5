"""The status of each store through its business time, from its polls: the one engine behind
every figure of every report, and behind the explanation of any one of them.

For a batch of stores, business time is cut into pieces, each inside one business interval and
decided by one observation (the nearest in real time): that is the spec's interpolation. The
totals of any window are sums over the pieces (`totals`), and the pieces themselves are what a
report's "why" shows (`Timeline.pieces_of`), so the two cannot disagree.

Times inside are integer ticks of half a microsecond from an origin, so that the midpoint
between two polls (where the status switches) is exact; stores are laid end to end on one axis,
STRIDE ticks apart, so one `searchsorted` serves every store of the batch at once.
"""

from dataclasses import dataclass

import numpy as np

from shared.uptime.hours import Intervals
from shared.uptime.polls import Bools, Ints, Polls

TICKS_PER_US = 2
STRIDE = 1 << 47  # ticks per store on the axis: more than 800 days
MAX_BATCH_STORES = (1 << 62) // STRIDE


@dataclass(frozen=True)
class Timeline:
    """The polls of a batch (sorted by store and time, one per instant), which of them lie in
    business hours and which are observations, and business time cut into pieces sorted by
    (store, start), `piece_*` times in ticks on the axis."""

    origin_us: int
    polls: Polls
    inside: Bools  # per poll: in its store's business hours
    observed: Bools  # per poll: an observation
    piece_store: Ints
    piece_start: Ints
    piece_end: Ints
    piece_active: Bools
    piece_poll: Ints  # index into `polls` of the observation that decides the piece

    def pieces_of(self, store: int) -> slice:
        """The pieces of one store of the batch."""
        lo, hi = np.searchsorted(self.piece_store, [store, store + 1])
        return slice(int(lo), int(hi))


def axis(store: Ints, us: Ints, origin_us: int) -> Ints:
    """Axis ticks of instants (µs since the epoch) of the batch's stores."""
    result: Ints = us - origin_us  # in place from here: these arrays are as long as the polls
    result *= TICKS_PER_US
    result += store * STRIDE
    return result


def cut(
    n_stores: int,
    polls: Polls,
    intervals: Intervals,
    origin_us: int,
    forced: Bools | None = None,
    all_polls_rule: bool = True,
) -> Timeline:
    """The timeline of a batch: `polls` of its stores (indexes below `n_stores`, sorted by
    (store, ts), one per instant, inside each store's span), `intervals` its merged business
    intervals (sorted by (owner, start)), `origin_us` no later than any of them.

    `forced` marks polls known to be observations though they lie outside the intervals given
    (a report's neighbours of the stretches it computes, from daily figures). Without
    `all_polls_rule`, a store without a poll inside business hours has no observation (daily
    figures: the observations are always the in-hours polls)."""
    assert n_stores <= MAX_BATCH_STORES
    poll_key = axis(polls.store, polls.ts, origin_us)
    has_polls = np.zeros(n_stores, dtype=bool)
    has_polls[polls.store] = True
    # Only the business time of stores with polls has a status.
    keep = has_polls[intervals.owner]
    begins = axis(intervals.owner[keep], intervals.start[keep], origin_us)
    ends = axis(intervals.owner[keep], intervals.end[keep], origin_us)

    # Observations: polls inside business hours, or every poll of a store with none inside.
    # The intervals are merged, so each holds its own run of polls: a run starts (+1) where an
    # interval begins and ends (−1) where it ends, and a poll is inside where the sum is 1.
    edges = np.bincount(np.searchsorted(poll_key, begins), minlength=len(poll_key) + 1)
    edges -= np.bincount(np.searchsorted(poll_key, ends), minlength=len(poll_key) + 1)
    inside = np.cumsum(edges[:-1]) > 0
    if forced is not None:
        inside |= forced
    if all_polls_rule:
        has_inside = np.zeros(n_stores, dtype=bool)
        has_inside[polls.store[inside]] = True
        observed = inside | ~has_inside[polls.store]
    else:
        observed = inside
    obs = np.flatnonzero(observed)
    obs_key, obs_store = poll_key[obs], polls.store[obs]
    if not all_polls_rule:  # a store with polls but no observation has no status
        has_obs = np.zeros(n_stores, dtype=bool)
        has_obs[obs_store] = True
        keep = has_obs[intervals.owner[keep]]
        begins, ends = begins[keep], ends[keep]

    # Each observation rules from the midpoint with its predecessor (or its store's origin)
    # to the midpoint with its successor (or its store's end).
    first = np.ones(len(obs), dtype=bool)
    first[1:] = obs_store[1:] != obs_store[:-1]
    rule_start = np.empty(len(obs), np.int64)
    np.add(obs_key[:-1], obs_key[1:], out=rule_start[1:])
    rule_start //= 2
    rule_start[first] = obs_store[first] * STRIDE
    rule_end = np.empty(len(obs), np.int64)
    rule_end[:-1] = rule_start[1:]
    last = np.ones(len(obs), dtype=bool)
    last[:-1] = first[1:]
    rule_end[last] = (obs_store[last] + 1) * STRIDE

    # Pieces: each business interval cut where the ruling observation changes.
    lo_rule = np.searchsorted(rule_start, begins, side="right") - 1
    hi_rule = np.searchsorted(rule_start, ends, side="left") - 1
    count = hi_rule - lo_rule + 1
    interval = np.repeat(np.arange(len(begins)), count)
    rule = lo_rule[interval] + np.arange(len(interval)) - np.repeat(np.cumsum(count) - count, count)
    return Timeline(
        origin_us=origin_us,
        polls=polls,
        inside=inside,
        observed=observed,
        piece_store=obs_store[rule],
        piece_start=np.maximum(begins[interval], rule_start[rule]),
        piece_end=np.minimum(ends[interval], rule_end[rule]),
        piece_active=polls.active[obs[rule]],
        piece_poll=obs[rule],
    )


def totals(timeline: Timeline, owner: Ints, lo_us: Ints, hi_us: Ints) -> tuple[Ints, Ints]:
    """Active and business time, in ticks, of each window [lo, hi] of a store of the batch
    (inside its span): sums of the pieces, those at the window's edges in part."""
    start, active = timeline.piece_start, timeline.piece_active
    length = timeline.piece_end - start
    business_before = np.concatenate(([0], np.cumsum(length)))
    active_before = np.concatenate(([0], np.cumsum(length * active)))

    def integral(key: Ints) -> tuple[Ints, Ints]:
        """Business and active ticks on the axis before each `key`."""
        k = np.searchsorted(start, key, side="right") - 1  # the last piece starting by then
        found = k >= 0
        k = np.maximum(k, 0)
        part = np.where(found, np.clip(key - start[k], 0, length[k]), 0)
        business = np.where(found, business_before[k], 0) + part
        return business, np.where(found, active_before[k], 0) + part * active[k]

    if len(start) == 0:
        return np.zeros(len(owner), np.int64), np.zeros(len(owner), np.int64)
    hi_business, hi_active = integral(axis(owner, hi_us, timeline.origin_us))
    lo_business, lo_active = integral(axis(owner, lo_us, timeline.origin_us))
    return hi_active - lo_active, hi_business - lo_business


def poll_counts(timeline: Timeline, owner: Ints, lo_us: Ints, end_us: Ints) -> Ints:
    """How many polls of the batch (observations or not) each store `owner` has with
    lo ≤ t < end (instants in µs, inside its span)."""
    key = axis(timeline.polls.store, timeline.polls.ts, timeline.origin_us)
    lo = np.searchsorted(key, axis(owner, lo_us, timeline.origin_us))
    counts: Ints = np.searchsorted(key, axis(owner, end_us, timeline.origin_us)) - lo
    return counts
