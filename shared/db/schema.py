"""The database and its schema: creating it, the versioned migrations, the schema check."""

import importlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.db import locks
from shared.errors import SchemaOutOfDate

_MIGRATION_NAME = re.compile(r"^(\d+)_(\w+)\.(sql|py)$")
_PACKAGE = "shared.db.migrations"


@dataclass(frozen=True, order=True)
class Migration:
    """`NNN_name.sql` (statements), or `NNN_name.py` (an `apply(conn)` coroutine, for a step
    SQL cannot say well, such as re-encoding stored data); applied in one transaction."""

    version: int
    name: str
    file: str

    async def apply(self, conn: asyncpg.Connection) -> None:
        if self.file.endswith(".sql"):
            await conn.execute(resources.files(_PACKAGE).joinpath(self.file).read_text())
            return
        module = importlib.import_module(f"{_PACKAGE}.{self.file.removesuffix('.py')}")
        apply: Callable[[asyncpg.Connection], Awaitable[None]] = module.apply
        await apply(conn)


def migrations() -> list[Migration]:
    """Every migration shipped with the code, in order."""
    found = []
    for entry in resources.files(_PACKAGE).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.name))
    return sorted(found)


def latest_version() -> int:
    """The schema version this code needs."""
    return migrations()[-1].version


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    """The database named by a PostgreSQL URL."""
    return urlsplit(url).path.lstrip("/") or "postgres"


async def ensure_database(url: str) -> bool:
    """Create the URL's database when it does not exist; True when it was created."""
    name = database_name(url)
    conn = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
        except asyncpg.DuplicateDatabaseError:  # another migrate won the race
            return False
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    """Drop the URL's database (tests and benchmarks use throw-away databases)."""
    conn = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        name = database_name(url).replace('"', '""')
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate(url: str, up_to: int | None = None) -> list[str]:
    """Create the database if needed and apply the migrations it lacks (those up to version
    `up_to` only, when given: tests of a migration); their names."""
    await ensure_database(url)
    conn = await asyncpg.connect(url)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", locks.MIGRATIONS)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration in migrations():
            if migration.version in done or (up_to is not None and migration.version > up_to):
                continue
            async with conn.transaction():
                await migration.apply(conn)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            applied.append(f"{migration.version:03d}_{migration.name}")
    finally:
        await conn.close()
    return applied


async def schema_version(conn: asyncpg.Connection) -> int:
    """The newest migration applied to the database (0 when none)."""
    if not await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def check_schema(conn: asyncpg.Connection) -> None:
    """Raise SchemaOutOfDate unless the database has every migration this code needs."""
    have, need = await schema_version(conn), latest_version()
    if have < need:
        raise SchemaOutOfDate(
            f"database schema is at version {have}, this code needs {need}: run `storemon migrate`"
        )
