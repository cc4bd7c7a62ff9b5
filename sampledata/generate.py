"""Deterministic generator of realistic sample input CSVs (polls, business hours, timezones)."""

from __future__ import annotations

import math
import pathlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt

from shared.instants import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, to_us

__all__ = ["DEFAULT_END", "generate_dataset"]

# The instant the public 2023 dataset was exported; fixed so output never depends on the clock.
DEFAULT_END: Final = datetime(2023, 1, 25, 18, 13, 22, 479220, tzinfo=UTC)

POLLS_FILE: Final = "store_status.csv"
HOURS_FILE: Final = "menu_hours.csv"
TZ_FILE: Final = "timezones.csv"

_JITTER_US: Final = 10 * 60 * 1_000_000
_DAY_S: Final = US_PER_DAY // US_PER_SECOND
_H: Final = US_PER_HOUR // US_PER_SECOND

# Polling model: the poller reaches a store in runs (a two-state chain), keeping ~61 % of the
# hourly slots on average, plus ~2 % extra polls; this matches ~1.8 M polls for 14,000 stores over
# 8.5 days in the real export.
_KEEP_BETA: Final = (5.0, 3.2)
_EXTRA_POLL_P: Final = 0.02
_BLIP_P: Final = 0.004
# Slot cells (stores x hourly slots) per chunk: bounds memory at any size and keeps numpy calls
# large enough that per-call overhead does not dominate.
_CHUNK_CELLS: Final = 1_000_000
_MAX_CHUNK_STORES: Final = 8_192

_ZONES: Final = (
    ("America/New_York", 0.40),
    ("America/Los_Angeles", 0.18),
    ("America/Chicago", 0.15),
    ("America/Denver", 0.05),
    ("America/Phoenix", 0.04),
    ("America/Boise", 0.03),
    ("America/Detroit", 0.02),
    ("Asia/Beirut", 0.02),
    ("Europe/Berlin", 0.02),
    ("Europe/London", 0.02),
    ("Australia/Sydney", 0.02),
    ("America/Indiana/Indianapolis", 0.01),
    ("Pacific/Honolulu", 0.01),
    ("America/Anchorage", 0.01),
    # Half-hour offsets catch code that assumes whole-hour zones.
    ("Asia/Kolkata", 0.01),
    ("America/St_Johns", 0.01),
)

# Business-hours store categories.
_CAT_NONE, _CAT_24H, _CAT_OVERNIGHT, _CAT_MIDNIGHT_SPLIT, _CAT_SPLIT, _CAT_REGULAR = range(6)
# Fractions (the rest is regular); with ~0.93 closed days per store they give ~6.4 rows per store,
# like the 2023 export (86,198 rows for 13,5xx stores).
_CAT_FRACTIONS: Final = (
    (_CAT_NONE, 0.05),
    (_CAT_24H, 0.03),
    (_CAT_OVERNIGHT, 0.08),
    (_CAT_MIDNIGHT_SPLIT, 0.04),
    (_CAT_SPLIT, 0.08),
)
_CLOSED_DAYS_P: Final = (0.45, 0.30, 0.15, 0.07, 0.03)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ByteArray = npt.NDArray[np.uint8]


def generate_dataset(
    outdir: pathlib.Path,
    stores: int,
    days: float,
    seed: int,
    end: datetime | None = None,
) -> dict[str, int]:
    """Write store_status.csv, menu_hours.csv and timezones.csv; return data rows per file.

    Polls lie in [end - days, end]; one poll is exactly at `end` (when stores > 0) so that "now"
    (the latest poll) is predictable. A naive `end` is taken as UTC.
    """
    if stores < 0:
        raise ValueError(f"stores must be >= 0, got {stores}")
    if not math.isfinite(days) or days < 0:
        raise ValueError(f"days must be a finite number >= 0, got {days}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    end_us = _to_epoch_us(DEFAULT_END if end is None else end)
    win_us = round(days * US_PER_DAY)
    if not (_to_epoch_us(datetime(1000, 1, 2, tzinfo=UTC)) <= end_us - win_us):
        # The fixed-width formatter writes exactly four year digits.
        raise ValueError("the poll window must start after year 1000")

    outdir.mkdir(parents=True, exist_ok=True)
    # Ids and the polls' store order are drawn first and the polls use their own streams, so
    # changing the hours or timezone model never changes store_status.csv.
    meta_rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    ids = _store_ids(meta_rng, stores)
    order = meta_rng.permutation(stores)
    counts = {
        TZ_FILE: _write_timezones(outdir / TZ_FILE, meta_rng, ids),
        HOURS_FILE: _write_hours(outdir / HOURS_FILE, meta_rng, ids),
    }
    with open(outdir / POLLS_FILE, "wb") as f:
        counts[POLLS_FILE] = _write_polls(f, seed, [ids[i] for i in order], end_us, win_us)
    return {name: counts[name] for name in (POLLS_FILE, HOURS_FILE, TZ_FILE)}


def _to_epoch_us(instant: datetime) -> int:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return to_us(instant)


def _count(fraction: float, total: int) -> int:
    # Small data sets (tests) still get at least one store of every corner case.
    n = round(fraction * total)
    return max(n, 1) if total >= 20 else n


def _store_ids(rng: np.random.Generator, stores: int) -> list[str]:
    """Mix of 19-digit integer ids (2023 export) and lowercase v4-style UUIDs (2024 export)."""
    n_int = round(0.55 * stores)
    if stores >= 2:
        n_int = min(max(n_int, 1), stores - 1)
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < stores:
        want_int = n_int - sum(1 for i in ids if "-" not in i)
        need = stores - len(ids)
        ints = rng.integers(10**18, 2**63, size=min(want_int, need), dtype=np.int64)
        words = rng.integers(0, 2**64, size=(need - len(ints), 2), dtype=np.uint64)
        # Version 4 / RFC 4122 variant bits, so the ids look like the upstream uuid4 values.
        hi = (words[:, 0] & np.uint64(0xFFFF_FFFF_FFFF_0FFF)) | np.uint64(0x4000)
        lo = (words[:, 1] & np.uint64(0x3FFF_FFFF_FFFF_FFFF)) | np.uint64(0x8000_0000_0000_0000)
        candidates = [str(v) for v in ints.tolist()]
        for h, low in zip(hi.tolist(), lo.tolist(), strict=True):
            x = f"{h:016x}{low:016x}"
            candidates.append(f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}")
        for c in candidates:
            # Collisions are astronomically unlikely; redrawing keeps uniqueness a guarantee.
            if c not in seen:
                seen.add(c)
                ids.append(c)
    shuffled = rng.permutation(stores)
    return [ids[i] for i in shuffled]


def _write_timezones(path: pathlib.Path, rng: np.random.Generator, ids: list[str]) -> int:
    n = len(ids)
    names = [z for z, _ in _ZONES]
    weights = np.array([w for _, w in _ZONES])
    zone_idx = rng.choice(len(names), size=n, p=weights / weights.sum())
    order = rng.permutation(n)
    n_missing = _count(0.03, n)
    n_empty = _count(0.005, n)
    # Missing and empty both mean "default zone"; both spellings occur upstream.
    missing = set(order[:n_missing].tolist())
    empty = set(order[n_missing : n_missing + n_empty].tolist())
    lines = ["store_id,timezone_str\n"]
    for i in rng.permutation(n).tolist():
        if i in missing:
            continue
        lines.append(f"{ids[i]},{'' if i in empty else names[zone_idx[i]]}\n")
    path.write_bytes("".join(lines).encode("ascii"))
    return len(lines) - 1


def _pick(rng: np.random.Generator, hours: Sequence[float], n: int) -> IntArray:
    """Random choice of wall-clock times given in hours, as seconds of day."""
    secs = np.array([round(h * _H) for h in hours], dtype=np.int64)
    return secs[rng.integers(0, len(secs), size=n)]


def _write_hours(path: pathlib.Path, rng: np.random.Generator, ids: list[str]) -> int:
    n = len(ids)
    cat = np.full(n, _CAT_REGULAR, dtype=np.int64)
    pos = 0
    slots = rng.permutation(n)
    for code, fraction in _CAT_FRACTIONS:
        k = min(_count(fraction, n), n - pos)
        cat[slots[pos : pos + k]] = code
        pos += k

    # Closed days: a random subset of weekdays per store gets no rows.
    n_closed = rng.choice(len(_CLOSED_DAYS_P), size=n, p=_CLOSED_DAYS_P)
    day_rank = np.argsort(np.argsort(rng.random((n, 7)), axis=1), axis=1)
    closed = (day_rank < n_closed[:, None]) & (cat != _CAT_24H)[:, None]
    has1 = (cat != _CAT_NONE)[:, None] & ~closed

    start1 = np.zeros((n, 7), dtype=np.int64)
    end1 = np.zeros((n, 7), dtype=np.int64)
    start2 = np.zeros((n, 7), dtype=np.int64)
    end2 = np.zeros((n, 7), dtype=np.int64)
    has2 = np.zeros((n, 7), dtype=np.bool_)

    # Regular: one row a day, later close on Fri/Sat and later open on Sunday for some stores.
    m = cat == _CAT_REGULAR
    k = int(m.sum())
    opens = _pick(rng, (6, 7, 8, 9, 10, 10, 10.5, 11, 11, 11), k)
    closes = _pick(rng, (19, 20, 20.5, 21, 21, 21.5, 22, 22, 22.5, 23, 23, 23 + 59 / 60), k)
    closes[rng.random(k) < 0.15] = _DAY_S - 1  # 23:59:59, frequent upstream
    odd = rng.random(k) < 0.03
    # A few stores with odd minutes/seconds, to exercise full HH:MM:SS parsing.
    opens[odd] += rng.integers(1, _H, size=int(odd.sum()))
    s1 = np.repeat(opens[:, None], 7, axis=1)
    e1 = np.repeat(closes[:, None], 7, axis=1)
    late_weekend = (rng.random(k) < 0.3) & (closes <= 22 * _H)
    e1[late_weekend, 4:6] += _H
    late_sunday = rng.random(k) < 0.3
    s1[late_sunday, 6] += _H
    start1[m], end1[m] = s1, e1

    # 24 h stores, spelled as upstream does (closed one second, or one minute, a day).
    m = cat == _CAT_24H
    k = int(m.sum())
    end1[m] = np.where(rng.random(k) < 0.7, _DAY_S - 1, _DAY_S - 60)[:, None]

    # Overnight: end <= start means the shift ends on the next local date.
    m = cat == _CAT_OVERNIGHT
    k = int(m.sum())
    s = _pick(rng, (16, 17, 18, 19, 20, 21, 22), k)
    e = _pick(rng, (0, 1, 2, 2, 3, 4), k)
    # end == start: a full 24 h shift that is 23 or 25 h across a DST change.
    e = np.where(rng.random(k) < 0.1, s, e)
    start1[m], end1[m] = s[:, None], e[:, None]

    # Late night split at midnight into two same-day rows, the common upstream pattern.
    m = cat == _CAT_MIDNIGHT_SPLIT
    k = int(m.sum())
    start1[m] = _pick(rng, (6, 7, 10, 11), k)[:, None]
    end1[m] = _DAY_S - 1
    end2[m] = _pick(rng, (1, 2, 3), k)[:, None]
    has2[m] = True

    # Split shifts: lunch and dinner on most days, one long row on the others.
    m = cat == _CAT_SPLIT
    k = int(m.sum())
    lunch_s = _pick(rng, (11, 11.5, 12), k)
    lunch_e = _pick(rng, (14, 14.5, 15), k)
    dinner_s = _pick(rng, (17, 17.5, 18), k)
    dinner_e = _pick(rng, (21, 22, 22.5, 23), k)
    # A few overlapping shifts: overlaps must be counted once.
    overlap = rng.random(k) < 0.1
    dinner_s[overlap] = lunch_e[overlap] - _H // 2
    split_day = rng.random((k, 7)) < 0.8
    start1[m] = lunch_s[:, None]
    end1[m] = np.where(split_day, lunch_e[:, None], dinner_e[:, None])
    start2[m] = dinner_s[:, None]
    end2[m] = dinner_e[:, None]
    has2[m] = split_day
    has2 &= has1

    # Rows grouped by store in random store order, days shuffled within a store (as upstream).
    store_rank = rng.permutation(n)
    day_key = rng.random((n, 7))
    rows_s: list[IntArray] = []
    rows_d: list[IntArray] = []
    rows_a: list[IntArray] = []
    rows_b: list[IntArray] = []
    rows_r: list[IntArray] = []
    for row_no, (has, st, en) in enumerate(((has1, start1, end1), (has2, start2, end2))):
        si, di = np.nonzero(has)
        rows_s.append(si)
        rows_d.append(di)
        rows_a.append(st[si, di])
        rows_b.append(en[si, di])
        rows_r.append(np.full(len(si), row_no, dtype=np.int64))
    si, di = np.concatenate(rows_s), np.concatenate(rows_d)
    a, b, r = np.concatenate(rows_a), np.concatenate(rows_b), np.concatenate(rows_r)
    order = np.lexsort((r, day_key[si, di], store_rank[si]))
    texts = {
        v: f"{v // _H:02d}:{v // 60 % 60:02d}:{v % 60:02d}" for v in np.unique(np.r_[a, b]).tolist()
    }
    lines = ["store_id,dayOfWeek,start_time_local,end_time_local\n"]
    lines.extend(
        f"{ids[s_]},{d_},{texts[a_]},{texts[b_]}\n"
        for s_, d_, a_, b_ in zip(
            si[order].tolist(),
            di[order].tolist(),
            a[order].tolist(),
            b[order].tolist(),
            strict=True,
        )
    )
    path.write_bytes("".join(lines).encode("ascii"))
    return len(lines) - 1


def _write_polls(f: BinaryIO, seed: int, ids: list[str], end_us: int, win_us: int) -> int:
    f.write(b"store_id,status,timestamp_utc\n")
    # Slot k's nominal time is start + phase + (k - 1) h; slot 0 lies before the window so that
    # stores with a late phase still get a poll right after the start.
    n_slots = win_us // US_PER_HOUR + 3
    per_chunk = max(1, min(_MAX_CHUNK_STORES, _CHUNK_CELLS // n_slots))
    total = 0
    for chunk_no, lo in enumerate(range(0, len(ids), per_chunk)):
        chunk_ids = ids[lo : lo + per_chunk]
        # One stream per chunk: chunks are independent and memory stays bounded.
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, chunk_no]))
        store, inactive, t_us = _poll_chunk(
            rng, len(chunk_ids), n_slots, end_us, win_us, force_end=chunk_no == 0
        )
        f.write(_format_polls(chunk_ids, store, inactive, t_us).tobytes())
        total += len(t_us)
    return total


def _poll_chunk(
    rng: np.random.Generator, n: int, n_slots: int, end_us: int, win_us: int, *, force_end: bool
) -> tuple[IntArray, BoolArray, IntArray]:
    """Polls for n stores as (local store index, inactive, epoch microseconds), store-grouped."""
    start_us = end_us - win_us
    phase = rng.integers(0, US_PER_HOUR, size=n, dtype=np.int64)

    # Poll reception: received<->missed chain with a per-store kept fraction, so gaps come in runs.
    keep = rng.beta(*_KEEP_BETA, size=n)
    back = rng.uniform(0.3, 0.7, size=n)
    lose = np.minimum(back * (1 - keep) / keep, 1.0)
    # Store status: mostly reliable stores, some flaky ones, a few with long outages.
    kind = rng.random(n)
    fail = np.where(
        kind < 0.4,
        0.002,
        np.where(kind < 0.85, rng.uniform(0.005, 0.03, n), rng.uniform(0.03, 0.12, n)),
    )
    recover = np.where(rng.random(n) < 0.03, 0.02, rng.uniform(0.15, 0.5, n))

    # Both chains are stepped together over the slots; only the slot loop is sequential.
    p_leave_true = np.concatenate([lose, fail])
    p_leave_false = np.concatenate([back, recover])
    state = np.concatenate([rng.random(n) < keep, rng.random(n) < recover / (fail + recover)])
    u = rng.random((n_slots, 2 * n))
    states = np.empty((n_slots, 2 * n), dtype=np.bool_)
    for k in range(n_slots):
        states[k] = state
        state = state ^ (u[k] < np.where(state, p_leave_true, p_leave_false))
    received = states[:, :n].T
    active = states[:, n:].T ^ (rng.random((n, n_slots)) < _BLIP_P)

    nominal = start_us + phase[:, None] + (np.arange(n_slots, dtype=np.int64) - 1) * US_PER_HOUR
    t_reg = nominal + rng.integers(-_JITTER_US, _JITTER_US + 1, size=(n, n_slots))
    t_extra = nominal + rng.integers(0, US_PER_HOUR, size=(n, n_slots))
    extra = rng.random((n, n_slots)) < _EXTRA_POLL_P
    forced = np.zeros((n, 1), dtype=np.bool_)
    if force_end and n:
        forced[0, 0] = True

    # Per store: regular polls in time order, then the extra ones (a retry log appended late),
    # so the file is not globally time-ordered.
    t = np.concatenate([t_reg, t_extra, np.full((n, 1), end_us, dtype=np.int64)], axis=1)
    ok = np.concatenate([received, extra, forced], axis=1)
    ok &= (t >= start_us) & (t <= end_us)
    act = np.concatenate([active, active, active[:, -1:]], axis=1)
    store = np.repeat(np.arange(n, dtype=np.int64), ok.sum(axis=1))
    return store, ~act[ok], t[ok]


# "YYYY-MM-DD HH:MM:SS.ffffff UTC\n"; digits are filled in column by column.
_TS_TEMPLATE: Final = np.frombuffer(b"0000-00-00 00:00:00.000000 UTC\n", dtype=np.uint8)
_TS_FIELDS: Final = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2), (20, 6))


def _format_polls(
    ids: list[str], store: IntArray, inactive: BoolArray, t_us: IntArray
) -> ByteArray:
    """CSV lines as one byte array, built without per-row Python objects."""
    # Prefixes "id,status," right-aligned with NUL padding; NULs are dropped after assembly.
    prefixes = [f"{i},{s}," for i in ids for s in ("active", "inactive")]
    width = max((len(p) for p in prefixes), default=1)
    table = np.frombuffer(
        "".join(p.rjust(width, "\0") for p in prefixes).encode("ascii"), dtype=np.uint8
    ).reshape(-1, width)

    day = t_us // US_PER_DAY
    tod = t_us - day * US_PER_DAY
    date = day.astype("datetime64[D]")
    month_start = date.astype("datetime64[M]")
    year = date.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    mday = (date - month_start).astype(np.int64) + 1
    secs = tod // 1_000_000
    values = (year, month, mday, secs // 3600, secs // 60 % 60, secs % 60, tod % 1_000_000)

    lines = np.empty((len(t_us), width + len(_TS_TEMPLATE)), dtype=np.uint8)
    lines[:, :width] = table[store * 2 + inactive]
    lines[:, width:] = _TS_TEMPLATE
    for (col, digits), value in zip(_TS_FIELDS, values, strict=True):
        for i in range(digits):
            lines[:, width + col + i] = value // 10 ** (digits - 1 - i) % 10 + ord("0")
    packed: ByteArray = lines[lines != 0]
    return packed
