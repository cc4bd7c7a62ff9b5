"""Timestamps in the shapes the polls fast path takes besides the upstream one (pollfile.py):
`T` or a space, ` UTC`, `Z`, `+00`, `+00:00`, `+0000` or no zone, or another offset up to
±14:59, read with Arrow's regular expressions and cast. Imported only for a batch not in the
upstream shape: Arrow's compute module takes some 25 ms to import."""

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

_WALL = r"[1-9]\d{3}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?"
_UTC = r"(?: UTC|Z|\+00(?::?00)?)"  # the ways of writing UTC taken here; none also means UTC
_OFFSET = r"[+-](?:0\d|1[0-4])(?::?[0-5]\d)?"
_UTC_TIMESTAMP = f"^{_WALL}{_UTC}?$"
_ANY_TIMESTAMP = f"^{_WALL}(?:{_UTC}|{_OFFSET})?$"


def iso_micros(ts: pa.Array) -> npt.NDArray[np.int64] | None:
    """Microseconds since 1970-01-01 UTC; None when a timestamp has another shape, ArrowInvalid
    for a date or time that does not exist (February 30, 25:00)."""
    if _all_match(ts, _UTC_TIMESTAMP):  # one cast of the wall-clock part
        micros = pc.cast(pc.replace_substring_regex(ts, f"{_UTC}$", ""), pa.timestamp("us"))
    elif _all_match(ts, _ANY_TIMESTAMP):  # offsets: every row given a zone, then converted
        zoned = pc.replace_substring_regex(ts, f"^({_WALL}){_UTC}?$", r"\1Z")
        micros = pc.cast(zoned, pa.timestamp("us", "UTC"))
    else:
        return None
    return micros.cast(pa.int64()).to_numpy()  # type: ignore[no-any-return]


def _all_match(strings: pa.Array, pattern: str) -> bool:
    """Every string matches; an empty batch too."""
    return bool(pc.all(pc.match_substring_regex(strings, pattern), min_count=0).as_py())
