"""The upstream timestamp shape, `YYYY-MM-DD HH:MM:SS[.f…] UTC`, read from its bytes with
NumPy: a batch whose timestamps all have that shape and one length (as an export writes them)
is a matrix of bytes, checked and converted column by column, several times faster than Arrow's
regular expressions. Any other batch is left to pollfile.py's general shapes."""

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shared.instants import US_PER_SECOND

_WALL = b"1000-00-00 00:00:00"  # digits (the year's first not 0) and the fixed characters
_UTC = b" UTC"
_SHORTEST = len(_WALL) + len(_UTC)  # no fraction; else a point and 1 to 6 digits
_FRACTION_DIGITS = 6
_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.uint8)
_EPOCH_DAYS = 719_468  # days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar
Bytes = npt.NDArray[np.uint8]


def _bounds(width: int) -> tuple[Bytes, Bytes]:
    """The lowest byte allowed in each column of a timestamp `width` bytes long, and how far
    above it a byte may be."""
    fraction = width - _SHORTEST
    shape = _WALL + (b"." + b"0" * (fraction - 1) if fraction else b"") + _UTC
    lo = np.frombuffer(shape, np.uint8)
    digit = np.array([c in b"0123456789" for c in shape])
    span = np.where(digit, ord("9") - lo, 0).astype(np.uint8)
    return lo[:, None], span[:, None]


_WIDTHS = {
    w: _bounds(w) for w in (_SHORTEST, *range(_SHORTEST + 2, _SHORTEST + 2 + _FRACTION_DIGITS))
}


def upstream_micros(ts: pa.Array) -> npt.NDArray[np.int64] | None:
    """Microseconds since 1970-01-01 UTC of `ts` (strings, no nulls) when every one has the
    upstream shape and the same length; None otherwise, or when a date or time does not exist
    (February 30, 24:00, a leap second): the caller's general reader then decides."""
    rows = _matrix(ts)
    if rows is None or rows.shape[1] not in _WIDTHS:
        return None
    lo, span = _WIDTHS[rows.shape[1]]
    digits = np.ascontiguousarray(rows.T)  # long vectors: NumPy's fast loops
    digits -= lo  # a byte below its lowest wraps around, above its span
    if not (digits <= span).all():
        return None
    digits[0] += 1  # the year's first digit counted from 1

    def number(first: int, count: int) -> npt.NDArray[np.int32]:
        value: npt.NDArray[np.int32] = digits[first].astype(np.int32)
        for column in range(first + 1, first + count):
            value = value * 10 + digits[column]
        return value

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    hour, minute, second = number(11, 2), number(14, 2), number(17, 2)
    if not (
        month.min() >= 1
        and month.max() <= 12
        and day.min() >= 1
        and (day <= _MONTH_DAYS[month]).all()
        and _leap(year[(month == 2) & (day == 29)]).all()
        and hour.max() <= 23
        and minute.max() <= 59
        and second.max() <= 59
    ):
        return None
    seconds = _days_since_epoch(year, month, day).astype(np.int64) * 86_400
    seconds += hour * 3600 + minute * 60 + second
    micros = seconds * US_PER_SECOND
    if fraction_digits := max(rows.shape[1] - _SHORTEST - 1, 0):
        micros += number(len(_WALL) + 1, fraction_digits) * 10 ** (
            _FRACTION_DIGITS - fraction_digits
        )
    return micros


def _matrix(ts: pa.Array) -> Bytes | None:
    """The bytes of `ts` as one row per string, when all have one length (no copy)."""
    if len(ts) == 0 or ts.type != pa.string() or ts.null_count:
        return None
    offsets = np.frombuffer(ts.buffers()[1], np.int32, len(ts) + 1, ts.offset * 4)
    width = int(offsets[1] - offsets[0])
    if width == 0 or not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(ts.buffers()[2], np.uint8, int(offsets[-1] - offsets[0]), int(offsets[0]))
    return data.reshape(len(ts), width)


def _leap(year: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
    leap: npt.NDArray[np.bool_] = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return leap


def _days_since_epoch(
    year: npt.NDArray[np.int32], month: npt.NDArray[np.int32], day: npt.NDArray[np.int32]
) -> npt.NDArray[np.int32]:
    """Days from 1970-01-01 to valid dates (H. Hinnant's `days_from_civil`: years counted from
    March, so that a leap day ends the year; all years here are positive)."""
    march_year = year - (month <= 2)
    era = march_year // 400
    year_of_era = march_year - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: npt.NDArray[np.int32] = era * 146_097 + day_of_era - _EPOCH_DAYS
    return days
