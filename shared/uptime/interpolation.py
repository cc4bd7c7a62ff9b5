"""Uptime and downtime of a batch of stores: nearest-observation interpolation, vectorised.

Times inside the computation are integer "ticks" of half a microsecond relative to the start
of the span, so that the midpoint between two polls (where the status switches) is exact.
Stores are laid end to end on one axis, each `_STRIDE` ticks apart, so one `searchsorted`
serves every store of the batch at once.
"""

import numpy as np

from shared.instants import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE

SPAN_US = 8 * US_PER_DAY  # the week plus one day of lead-in
WINDOWS_US = (US_PER_HOUR, US_PER_DAY, 7 * US_PER_DAY)
_TICKS_PER_US = 2
_STRIDE = 1 << 41  # more ticks than a span holds
MAX_BATCH_STORES = (1 << 62) // _STRIDE


def in_span(
    store: np.ndarray, ts: np.ndarray, active: np.ndarray, first: int, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The polls with first ≤ ts ≤ last (sorted by (store, ts), one per instant, stay so)."""
    keep = (ts >= first) & (ts <= last)
    return store[keep], ts[keep], active[keep]


def window_totals(
    n_stores: int,
    store: np.ndarray,
    ts: np.ndarray,
    active: np.ndarray,
    owner: np.ndarray,
    intervals: np.ndarray,
) -> np.ndarray:
    """Business and active time per store and window, in microseconds.

    `store`, `ts`, `active`: the span's polls sorted by (store, ts), one per instant, `ts` in
    microseconds from the span start (the report's now is at SPAN_US). `owner`, `intervals`:
    the stores' disjoint business intervals, (k, 2) microseconds from the span start, sorted
    by (owner, start).
    Returns an (n_stores, 6) float array: uptime for the hour, day, week, then business time
    for the same windows; exact to half a microsecond.
    """
    assert n_stores <= MAX_BATCH_STORES
    spans = intervals * _TICKS_PER_US
    base = owner * _STRIDE
    begins, ends = base + spans[:, 0], base + spans[:, 1]
    poll_keys = store * _STRIDE + ts * _TICKS_PER_US

    # Observations: polls inside business hours, or every poll of a store with none inside.
    inside = np.zeros(len(poll_keys), dtype=bool)
    if len(begins):
        j = np.searchsorted(begins, poll_keys, side="right") - 1
        inside = (j >= 0) & (poll_keys < ends[np.maximum(j, 0)])
    has_inside = np.zeros(n_stores, dtype=bool)
    has_inside[store[inside]] = True
    observed = inside | ~has_inside[store]
    obs_keys, obs_active = poll_keys[observed], active[observed]

    # Each observation rules from the midpoint with its predecessor (or its store's origin).
    seg_starts = obs_keys.copy()
    seg_starts[0:1] = seg_starts[0:1] // _STRIDE * _STRIDE
    if len(obs_keys) > 1:
        same_store = obs_keys[1:] // _STRIDE == obs_keys[:-1] // _STRIDE
        midpoints = (obs_keys[1:] + obs_keys[:-1]) // 2
        seg_starts[1:] = np.where(same_store, midpoints, obs_keys[1:] // _STRIDE * _STRIDE)
    active_before = np.concatenate(([0], np.cumsum(np.diff(seg_starts) * obs_active[:-1])))

    def active_until(keys: np.ndarray) -> np.ndarray:
        k = np.maximum(np.searchsorted(seg_starts, keys, side="right") - 1, 0)
        until: np.ndarray = active_before[k] + obs_active[k] * (keys - seg_starts[k])
        return until

    totals = np.zeros((n_stores, 6))
    end = SPAN_US * _TICKS_PER_US
    for w, window in enumerate(WINDOWS_US):
        lo = base + np.clip(spans[:, 0], end - window * _TICKS_PER_US, end)
        hi = base + np.clip(spans[:, 1], end - window * _TICKS_PER_US, end)
        up = active_until(hi) - active_until(lo) if len(obs_keys) else np.zeros(len(lo))
        totals[:, w] = np.bincount(owner, weights=up, minlength=n_stores)
        totals[:, 3 + w] = np.bincount(owner, weights=hi - lo, minlength=n_stores)
    result: np.ndarray = totals / _TICKS_PER_US
    return result


def hundredths(totals_us: np.ndarray) -> np.ndarray:
    """(n, 6) hundredths of the report's units, rounded half away from zero, in CSV order.

    Columns: uptime hour (minutes), day, week (hours), then downtime hour, day, week.
    """
    ticks = np.rint(totals_us * _TICKS_PER_US).astype(np.int64)
    up, business = ticks[:, :3], ticks[:, 3:]
    unit = np.array([US_PER_MINUTE, US_PER_HOUR, US_PER_HOUR], dtype=np.int64) * _TICKS_PER_US
    values = np.concatenate([up, business - up], axis=1)
    units = np.concatenate([unit, unit])
    rounded: np.ndarray = (200 * values + units) // (2 * units)
    return rounded
