"""Reading a polls file in the common shapes with Apache Arrow, batch by batch (no database).

Arrow's CSV reader and compute kernels run in C++ on every core, so a well-formed file is
parsed, checked and converted at close to the speed of reading it. Only the shapes whose meaning
is certain are taken here: timestamps `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (space or `T`),
with ` UTC`, `Z`, `+00`, `+00:00`, `+0000` or no zone (the spec's UTC), and statuses
`active`/`inactive` in ASCII letter cases; timestamps with other offsets up to ±14:59 are
converted too (isotimes.py). A batch of timestamps all in the upstream shape and of one length
is read from its bytes with NumPy instead (stamps.py), several times faster. Anything else (a
zone name, a 7th fraction digit, `24:00`, a bad row) raises `NotFast`, and the caller hands the
whole file to PostgreSQL's own parser and its row-by-row checks, which accept or name the line
exactly as before.
"""

import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pcsv

from shared.ingest.source import CsvSource
from shared.ingest.stamps import upstream_micros
from shared.storeids import WHITESPACE, fits

BLOCK_BYTES = 8 << 20  # one batch: about 120,000 upstream rows
_DISTINCT = pa.dictionary(pa.int32(), pa.string())


class NotFast(Exception):
    """The file holds something outside the shapes this reader takes."""


@dataclass(frozen=True)
class PollBatch:
    """Consecutive rows of a polls file, checked and converted.

    `names` are the distinct store ids of the batch as written (untrimmed), `codes` index them
    row by row; `micros` are the instants in microseconds since 1970-01-01 UTC.
    """

    names: list[str]
    codes: npt.NDArray[np.int32]
    micros: npt.NDArray[np.int64]
    active: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.micros)


def read_batches(
    source: CsvSource, latest_us: int, block_bytes: int | None = None
) -> Generator[PollBatch]:
    """The file's rows in order, a batch at a time; raises NotFast at the first unusual one,
    or one that breaks the rules (an instant before 1970 or after `latest_us`, a store id
    longer than MAX_STORE_ID_BYTES): the staged path names its line."""
    wanted = {
        f"c{source.index('store_id')}": "store",
        f"c{source.index('status')}": "status",
        f"c{source.index('timestamp_utc')}": "ts",
    }
    read_options = pcsv.ReadOptions(column_names=[f"c{i}" for i in range(len(source.columns))])
    parse_options = pcsv.ParseOptions(ignore_empty_lines=False)
    # Store ids and statuses repeat: dictionary-encoded as they are read, each distinct one
    # is checked once.
    types = {"store": _DISTINCT, "status": _DISTINCT, "ts": pa.string()}
    convert_options = pcsv.ConvertOptions(
        include_columns=list(wanted),
        column_types={column: types[name] for column, name in wanted.items()},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with source.path.open("rb") as f:
        f.seek(source.start)
        f.readline()  # the header
        for block in whole_line_blocks(f, block_bytes or BLOCK_BYTES):
            try:
                table = pcsv.read_csv(
                    pa.py_buffer(block),
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                ).combine_chunks()
                batch = _convert(**{wanted[c]: table.column(c).chunk(0) for c in wanted})
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise NotFast(str(e)) from None
            if len(batch) and not (batch.micros.min() >= 0 and batch.micros.max() <= latest_us):
                raise NotFast("an instant before 1970 or too far in the future")
            yield batch


def whole_line_blocks(f: BinaryIO, size: int) -> Iterator[memoryview]:
    """The rest of the file in blocks of about `size` bytes that end at a line end (the last
    may not), each a view of what was read, not a copy: the file is read on from its end. Arrow's
    own streaming reader reads ahead without bound (280 MB at 10×); one block at a time keeps
    memory flat. A quoted line break cut in two fails the parse, and the file goes to the staged
    path."""
    want = size
    while data := f.read(want):
        cut = len(data) if len(data) < want else data.rfind(b"\n") + 1  # the last: all of it
        if cut == 0:  # no line end yet: a longer block from the same place
            if want > 4 * size:
                raise NotFast("no line end in a whole block")
            f.seek(-len(data), io.SEEK_CUR)
            want += size
            continue
        f.seek(cut - len(data), io.SEEK_CUR)
        want = size
        yield memoryview(data)[:cut]


def parse_timestamps(ts: pa.Array) -> npt.NDArray[np.int64]:
    """Microseconds since 1970-01-01 UTC of timestamps in the shapes taken here; raises NotFast
    for any other, or for a date or time that does not exist (February 30, 25:00)."""
    if (upstream := upstream_micros(ts)) is not None:
        return upstream
    from shared.ingest.isotimes import iso_micros  # only now: see there

    try:
        micros = iso_micros(ts)
    except pa.ArrowInvalid as e:
        raise NotFast(str(e)) from None
    if micros is None:
        raise NotFast("a timestamp of another shape")
    return micros


def _convert(store: pa.DictionaryArray, status: pa.DictionaryArray, ts: pa.Array) -> PollBatch:
    micros = parse_timestamps(ts)
    statuses = [value.encode().lower() for value in status.dictionary.to_pylist()]  # ASCII only
    if not set(statuses) <= {b"active", b"inactive"}:
        raise NotFast("a status other than active or inactive")
    active = np.array([value == b"active" for value in statuses], bool)
    names = store.dictionary.to_pylist()
    if any(not fits(name.strip(WHITESPACE)) or "\x00" in name for name in names):
        raise NotFast("an empty or over-long store_id, or a NUL byte PostgreSQL would refuse")
    return PollBatch(
        names=names,
        codes=store.indices.to_numpy(),
        micros=micros,
        active=active[status.indices.to_numpy()],
    )
