"""Ingest of the three upstream CSV files into PostgreSQL, all or nothing per file."""

from shared.ingest.metadata import ingest_hours, ingest_timezones
from shared.ingest.polls import ingest_polls

__all__ = ["ingest_hours", "ingest_polls", "ingest_timezones"]
