"""Polls spilled to one file per bucket of stores, so a report's memory is one bucket's worth.

The span's polls arrive in storage order; each block is split by bucket (a range of store
ranks, ranks in store_id byte order) and appended to that bucket's file. Buckets are then read
back one at a time, in rank order, which is also the report's row order.
"""

from pathlib import Path

import numpy as np

from worker.polls import PollArrays

_RECORD = np.dtype([("rank", "<i4"), ("ts", "<i8"), ("active", "u1"), ("seq", "<i8")])


class BucketSpill:
    """Spill files for buckets of `bucket_size` consecutive store ranks, in `directory`."""

    def __init__(self, directory: Path, rank_of_key: np.ndarray, bucket_size: int) -> None:
        self._directory = directory
        self._rank_of_key = rank_of_key
        self.bucket_size = bucket_size
        self.buckets = max(1, -(-int(rank_of_key.max(initial=0) + 1) // bucket_size))
        assert self.buckets <= 1 << 16
        self.rows = 0

    def _path(self, bucket: int) -> Path:
        return self._directory / f"bucket-{bucket:05d}.bin"

    def add(self, polls: PollArrays) -> None:
        """Append a block of polls (store = internal store key) to their buckets' files."""
        records = np.empty(len(polls.ts), dtype=_RECORD)
        records["rank"] = self._rank_of_key[polls.store]
        records["ts"], records["active"], records["seq"] = polls.ts, polls.active, polls.seq
        bucket = (records["rank"] // self.bucket_size).astype(np.uint16)
        order = np.argsort(bucket, kind="stable")  # a radix sort on 16-bit keys
        records, bucket = records[order], bucket[order]
        bounds = np.searchsorted(bucket, np.arange(self.buckets + 1))
        for b in np.flatnonzero(np.diff(bounds)):
            with self._path(int(b)).open("ab") as f:
                records[bounds[b] : bounds[b + 1]].tofile(f)
        self.rows += len(records)

    def load(self, bucket: int) -> PollArrays:
        """The bucket's polls, store = rank within the bucket."""
        path = self._path(bucket)
        records = np.fromfile(path, dtype=_RECORD) if path.exists() else np.empty(0, _RECORD)
        path.unlink(missing_ok=True)
        return PollArrays(
            records["rank"].astype(np.int64) - bucket * self.bucket_size,
            records["ts"],
            records["active"].astype(bool),
            records["seq"],
        )
