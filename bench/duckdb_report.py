"""The benchmark's yardstick: the spec's reports as one DuckDB query each, written from the spec.

`load` reads the three upstream CSV files into DuckDB tables (timed on its own by the bench);
`standard_report` and `period_report` are each ONE SQL statement over those tables.

How the query works (all instants are integers in half-microseconds, "h-us", so that the
midpoint of two polls is exact):

- business intervals: every hours row on every local date of a generous date range, converted
  to UTC with `timezone(zone, local timestamp)` (DuckDB's ICU extension, statically linked in
  the Python wheel). ICU's defaults are exactly the spec's rule (and PostgreSQL's `AT TIME
  ZONE`): a wall time in a spring-forward gap is read with the offset in force before the jump
  (ICU "lax" skipped wall time), a repeated wall time as its later occurrence (ICU "last"
  repeated wall time); `tests/test_duckdb_report.py` checks the spec's vectors and every quarter
  hour of the transition days of 2022-2024 in the generator's zones against zoneinfo. An
  unknown zone name is an error (ICU's, never a silent UTC). Intervals are merged (gaps and
  islands), and each merged interval carries b0, the store's business time before it, so that
  B(x), the store's business time up to instant x, is one ASOF join.
- observations: span polls inside a merged interval (one ASOF join), else all span polls.
- interpolation: observation i holds from the midpoint with its predecessor to the midpoint
  with its successor; a "cell" is a run of observations of one status, from the midpoint where
  the status changes to the next such midpoint. U(x), the store's active business time up to
  x, is the running sum of the active cells' B(cell end) - B(cell start), plus the part of the
  cell holding x.
- a window or period [a, b] then has business time B(b) - B(a) and uptime U(b) - U(a): the
  query evaluates B and U only at the boundary instants of each store's windows or periods.
- values are rounded half away from zero in integers: hundredths = (200 x + D) // (2 D), where
  D is the number of h-us in the unit (all values are >= 0).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import duckdb

__all__ = ["DEFAULT_ZONE", "load", "local_to_utc", "period_report", "standard_report"]

DEFAULT_ZONE: Final = "America/Chicago"
INTERVALS: Final = ("day", "week", "month", "total")

_US_MINUTE: Final = 60_000_000
_US_HOUR: Final = 60 * _US_MINUTE
_US_DAY: Final = 24 * _US_HOUR
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_FAR: Final = 4_000_000_000_000_000_000  # h-us sentinel before every instant

# The spec's local → UTC rule, as the query applies it (zone and local TIMESTAMP are SQL terms):
# epoch microseconds of the instant.
_TO_UTC: Final = "epoch_us(timezone({zone}, {local}))"


def _to_utc_h(zone: str, local: str) -> str:
    return "(2 * " + _TO_UTC.format(zone=zone, local=local) + ")"


def _us(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    return (instant - _EPOCH) // timedelta(microseconds=1)


# ---------------------------------------------------------------------------------------------
# Loading


def _columns(path: Path, wanted: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Header names of the file for each wanted column (any of its spellings), found by name."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = [h.strip() for h in f.readline().rstrip("\r\n").split(",")]
    found: dict[str, str] = {}
    for key, spellings in wanted.items():
        for name in spellings:
            if name in header:
                found[key] = '"' + name.replace('"', '""') + '"'
                break
        else:
            raise ValueError(f"{path}: missing column {spellings[0]!r}")
    return found


def _read(path: Path, types: dict[str, str]) -> str:
    """read_csv of a file with the named columns' types (the others are whatever is sniffed)."""
    spec = ", ".join(f"'{name[1:-1]}': '{t}'" for name, t in types.items())
    return (
        "read_csv('" + str(path).replace("'", "''") + "', header = true, delim = ',', "
        f"quote = '\"', escape = '\"', types = {{{spec}}})"
    )


def load(con: duckdb.DuckDBPyConnection, data_dir: Path | str) -> None:
    """Load store_status.csv, menu_hours.csv and timezones.csv of data_dir into tables
    stores(sk, store_id), polls(sk, t, active), hours(sk, day, start_t, end_t), zones(sk, zone).

    Store ids are trimmed; statuses are case-insensitive; timestamps are DuckDB's TIMESTAMPTZ
    text forms (`... UTC`, ISO 8601 with `Z` or an offset; no zone is UTC: the session's
    TimeZone is set to UTC); a repeated (store, instant) poll and a store repeated in timezones
    keep their later line (file order is the rowid order of the raw table: DuckDB preserves
    insertion order)."""
    d = Path(data_dir)
    pf, hf, zf = d / "store_status.csv", d / "menu_hours.csv", d / "timezones.csv"
    pc = _columns(pf, {"id": ("store_id",), "st": ("status",), "ts": ("timestamp_utc",)})
    hc = _columns(
        hf,
        {
            "id": ("store_id",),
            "day": ("day", "dayOfWeek"),
            "a": ("start_time_local",),
            "b": ("end_time_local",),
        },
    )
    zc = _columns(zf, {"id": ("store_id",), "tz": ("timezone_str",)})
    text = "VARCHAR"
    status = (
        f"CASE lower(trim({pc['st']})) WHEN 'active' THEN true WHEN 'inactive' THEN false "
        f"ELSE error('store_status.csv: bad status ' || coalesce({pc['st']}, 'NULL')) END"
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_polls AS
        SELECT trim({pc["id"]}) AS store_id, epoch_us({pc["ts"]}) AS t, {status} AS active
        FROM {_read(pf, {pc["id"]: text, pc["st"]: text, pc["ts"]: "TIMESTAMPTZ"})}
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_hours AS
        SELECT trim({hc["id"]}) AS store_id, CAST(trim({hc["day"]}) AS INTEGER) AS day,
               CAST(trim({hc["a"]}) AS TIME) AS start_t, CAST(trim({hc["b"]}) AS TIME) AS end_t
        FROM {_read(hf, {c: text for c in hc.values()})}
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_zones AS
        SELECT trim({zc["id"]}) AS store_id, coalesce(trim({zc["tz"]}), '') AS tz
        FROM {_read(zf, {c: text for c in zc.values()})}
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE stores AS
        SELECT (row_number() OVER (ORDER BY store_id))::INTEGER AS sk, store_id
        FROM (SELECT store_id FROM raw_polls UNION SELECT store_id FROM raw_hours
              UNION SELECT store_id FROM raw_zones)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE polls AS
        SELECT s.sk, r.t, arg_max(r.active, r.line) AS active
        FROM (SELECT store_id, t, active, rowid AS line FROM raw_polls) r
        JOIN stores s USING (store_id)
        GROUP BY s.sk, r.t
        ORDER BY s.sk, r.t
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE hours AS
        SELECT s.sk, r.day, r.start_t, r.end_t FROM raw_hours r JOIN stores s USING (store_id)
        ORDER BY s.sk
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE zones AS
        SELECT s.sk, nullif(arg_max(r.tz, r.line), '') AS zone
        FROM (SELECT store_id, tz, rowid AS line FROM raw_zones) r JOIN stores s USING (store_id)
        GROUP BY s.sk
        """
    )
    con.execute("DROP TABLE raw_polls; DROP TABLE raw_hours; DROP TABLE raw_zones")


# ---------------------------------------------------------------------------------------------
# The query


def _core() -> str:
    """CTEs from meta(sk, zone, has_hours), span_polls(sk, t2, active), dates(d),
    allday(lo2, hi2) and pts(sk, k, x) to pu(sk, k, b, u): B and U at every query point."""
    start = _to_utc_h("m.zone", "d.d + h.start_t")
    end = _to_utc_h("m.zone", "(d.d + (h.end_t <= h.start_t)::INTEGER) + h.end_t")
    return f"""
    raw_iv AS (
        SELECT h.sk, {start} AS s, {end} AS e
        FROM meta m JOIN hours h ON h.sk = m.sk JOIN dates d ON isodow(d.d) - 1 = h.day
        UNION ALL
        SELECT m.sk, b.lo2, b.hi2 FROM meta m, allday b WHERE NOT m.has_hours
    ),
    iv_flag AS (
        SELECT sk, s, e,
               CASE WHEN s <= max(e) OVER (PARTITION BY sk ORDER BY s, e
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    THEN 0 ELSE 1 END AS new
        FROM raw_iv WHERE e > s
    ),
    iv_isl AS (
        SELECT sk, s, e,
               sum(new) OVER (PARTITION BY sk ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS g
        FROM iv_flag
    ),
    iv_m AS (SELECT sk, min(s) AS s, max(e) AS e FROM iv_isl GROUP BY sk, g),
    merged AS (
        SELECT sk, s, e,
               coalesce(sum(e - s) OVER (PARTITION BY sk ORDER BY s
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                        0)::BIGINT AS b0
        FROM iv_m
    ),
    pin AS (
        SELECT p.sk, p.t2, p.active, coalesce(p.t2 < i.e, false) AS inside
        FROM span_polls p ASOF LEFT JOIN merged i ON p.sk = i.sk AND p.t2 >= i.s
    ),
    has_in AS (SELECT DISTINCT sk FROM pin WHERE inside),
    obs AS (
        SELECT sk, t2, active FROM pin
        WHERE inside OR sk NOT IN (SELECT sk FROM has_in)
    ),
    obs_prev AS (
        SELECT sk, active, lag(active) OVER w AS prev_active, (t2 + lag(t2) OVER w) // 2 AS mid
        FROM obs WINDOW w AS (PARTITION BY sk ORDER BY t2)
    ),
    cells0 AS (
        SELECT sk, active, coalesce(mid, -{_FAR}) AS lo
        FROM obs_prev WHERE prev_active IS NULL OR prev_active <> active
    ),
    cells1 AS (
        SELECT c.sk, c.active, c.lo, coalesce(i.b0 + least(c.lo - i.s, i.e - i.s), 0) AS blo
        FROM cells0 c ASOF LEFT JOIN merged i ON c.sk = i.sk AND c.lo >= i.s
    ),
    cells2 AS (
        SELECT sk, active, lo, blo,
               CASE WHEN active THEN lead(blo) OVER (PARTITION BY sk ORDER BY lo) - blo
                    ELSE 0 END AS up
        FROM cells1
    ),
    cells AS (
        SELECT sk, active, lo, blo,
               coalesce(sum(up) OVER (PARTITION BY sk ORDER BY lo
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                        0)::BIGINT AS ulo
        FROM cells2
    ),
    pb AS (
        SELECT q.sk, q.k, q.x, coalesce(i.b0 + least(q.x - i.s, i.e - i.s), 0) AS b
        FROM pts q ASOF LEFT JOIN merged i ON q.sk = i.sk AND q.x >= i.s
    ),
    pu AS (
        SELECT q.sk, q.k, q.b, c.ulo + CASE WHEN c.active THEN q.b - c.blo ELSE 0 END AS u
        FROM pb q ASOF JOIN cells c ON q.sk = c.sk AND q.x >= c.lo
    )"""


def _settings(con: duckdb.DuckDBPyConnection) -> None:
    """Planner settings for the queries (not part of the computation): the optimizer otherwise
    turns an ASOF join whose probe side it underestimates (the period boundaries) into a nested
    loop join, quadratic per store (minutes instead of a second on a 30-day daily report)."""
    con.execute("SET asof_loop_join_threshold = 0")


def _hundredths(x: str, unit_us: int) -> str:
    d = 2 * unit_us  # h-us in the unit
    return f"((({x}) * 200 + {d}) // {2 * d})"


def _fmt(h: str) -> str:
    return f"printf('%d.%02d', ({h}) // 100, ({h}) % 100)"


def _standard_sql() -> str:
    hour, day = 2 * _US_HOUR, 2 * _US_DAY
    outs = []
    for name, (lo_k, unit) in {
        "hour": (2, _US_MINUTE),
        "day": (1, _US_HOUR),
        "week": (0, _US_HOUR),
    }.items():
        up = f"u3 - u{lo_k}"
        down = f"(b3 - b{lo_k}) - (u3 - u{lo_k})"
        outs.append((f"up_{name}", _hundredths(up, unit)))
        outs.append((f"down_{name}", _hundredths(down, unit)))
    sel = ", ".join(f"{expr} AS {name}" for name, expr in outs)
    cols = ["up_hour", "up_day", "up_week", "down_hour", "down_day", "down_week"]
    return f"""
    WITH
    par AS (SELECT $a::BIGINT AS a, 2 * $a::BIGINT AS a2),
    span_polls AS (
        SELECT p.sk, 2 * p.t AS t2, p.active
        FROM polls p, par WHERE p.t BETWEEN par.a - {8 * _US_DAY} AND par.a
    ),
    meta AS (
        SELECT s.sk, coalesce(z.zone, '{DEFAULT_ZONE}') AS zone,
               EXISTS (SELECT 1 FROM hours h WHERE h.sk = s.sk) AS has_hours
        FROM (SELECT DISTINCT sk FROM span_polls) s LEFT JOIN zones z ON z.sk = s.sk
    ),
    dates AS (
        SELECT CAST(g.d AS DATE) AS d
        FROM par, generate_series(CAST(make_timestamp(par.a - {10 * _US_DAY}) AS DATE),
                                  CAST(make_timestamp(par.a + {_US_DAY}) AS DATE),
                                  INTERVAL 1 DAY) AS g(d)
    ),
    allday AS (SELECT a2 - {10 * day} AS lo2, a2 + {day} AS hi2 FROM par),
    pts AS (
        SELECT m.sk, w.k, par.a2 - w.back AS x
        FROM meta m, par,
             (VALUES (0, {7 * day}), (1, {day}), (2, {hour}), (3, 0)) AS w(k, back)
    ),
    {_core()},
    agg AS (
        SELECT sk,
               max(b) FILTER (k = 0) AS b0, max(b) FILTER (k = 1) AS b1,
               max(b) FILTER (k = 2) AS b2, max(b) FILTER (k = 3) AS b3,
               max(u) FILTER (k = 0) AS u0, max(u) FILTER (k = 1) AS u1,
               max(u) FILTER (k = 2) AS u2, max(u) FILTER (k = 3) AS u3
        FROM pu GROUP BY sk
    ),
    hund AS (SELECT sk, {sel} FROM agg)
    SELECT s.store_id, {", ".join(_fmt(c) for c in cols)}
    FROM hund JOIN stores s USING (sk)
    ORDER BY s.store_id
    """


_STANDARD_SQL: Final = _standard_sql()


def standard_report(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[tuple[str, ...]]:
    """The spec's standard report at as_of: (store_id, uptime_last_hour, uptime_last_day,
    uptime_last_week, downtime_last_hour, downtime_last_day, downtime_last_week), formatted as
    the CSV, in store_id byte order. One SQL statement."""
    _settings(con)
    rows: list[tuple[str, ...]] = con.execute(_STANDARD_SQL, {"a": _us(as_of)}).fetchall()
    return rows


def _period_sql() -> str:
    day = 2 * _US_DAY
    up_h = _hundredths("up", _US_HOUR)
    down_h = _hundredths("bus - up", _US_HOUR)
    # 100 * up / bus in hundredths, half away from zero: (20000 up + bus) // (2 bus).
    pct = "(20000 * up::HUGEINT + bus) // (2 * bus::HUGEINT)"
    return f"""
    WITH
    par AS (
        SELECT $a::BIGINT AS a, 2 * $a::BIGINT AS a2, $f::DATE AS f, $t::DATE AS t,
               $iv::VARCHAR AS iv, $ids::VARCHAR[] AS ids
    ),
    sel AS (
        SELECT s.sk, coalesce(z.zone, '{DEFAULT_ZONE}') AS zone
        FROM stores s LEFT JOIN zones z ON z.sk = s.sk, par
        WHERE par.ids IS NULL OR list_contains(par.ids, s.store_id)
    ),
    zspan AS (
        SELECT zone, {_to_utc_h("zone", "CAST(par.f AS TIMESTAMP)")} AS s2,
               {_to_utc_h("zone", "CAST(par.t + 1 AS TIMESTAMP)")} AS e2
        FROM (SELECT DISTINCT zone FROM sel), par
    ),
    span_polls AS (
        SELECT p.sk, 2 * p.t AS t2, p.active
        FROM sel JOIN zspan USING (zone) JOIN polls p ON p.sk = sel.sk, par
        WHERE 2 * p.t BETWEEN zspan.s2 - {day} AND least(zspan.e2, par.a2)
    ),
    meta AS (
        SELECT sel.sk, sel.zone, EXISTS (SELECT 1 FROM hours h WHERE h.sk = sel.sk) AS has_hours
        FROM sel WHERE sel.sk IN (SELECT sk FROM span_polls)
    ),
    dates AS (
        SELECT CAST(g.d AS DATE) AS d
        FROM par, generate_series(CAST(par.f - 3 AS TIMESTAMP),
                                  CAST(least(par.t + 1,
                                             CAST(make_timestamp(par.a) AS DATE) + 2)
                                       AS TIMESTAMP),
                                  INTERVAL 1 DAY) AS g(d)
    ),
    allday AS (
        SELECT 2 * epoch_us(CAST(par.f - 3 AS TIMESTAMP)) - {day} AS lo2, a2 + {day} AS hi2
        FROM par
    ),
    pstart AS (
        SELECT CAST(g.d AS DATE) AS d
        FROM par, generate_series(CAST(par.f AS TIMESTAMP), CAST(par.t AS TIMESTAMP),
                                  INTERVAL 1 DAY) AS g(d)
        WHERE par.iv = 'day' OR CAST(g.d AS DATE) = par.f
              OR (par.iv = 'week' AND isodow(g.d) = 1)
              OR (par.iv = 'month' AND day(g.d) = 1)
    ),
    pdates AS (
        SELECT d, lead(d, 1, par.t + 1) OVER (ORDER BY d) AS nd FROM pstart, par
    ),
    zper AS (
        SELECT zone, d, ps, least(pe, par.a2) AS pe
        FROM (SELECT z.zone, p.d, {_to_utc_h("z.zone", "CAST(p.d AS TIMESTAMP)")} AS ps,
                     {_to_utc_h("z.zone", "CAST(p.nd AS TIMESTAMP)")} AS pe
              FROM (SELECT DISTINCT zone FROM meta) z, pdates p), par
        WHERE ps < par.a2
    ),
    pts AS (
        SELECT m.sk, 2 * (zp.d - DATE '1970-01-01') AS k, zp.ps AS x
        FROM meta m JOIN zper zp USING (zone)
        UNION ALL
        SELECT m.sk, 2 * (zp.d - DATE '1970-01-01') + 1, zp.pe
        FROM meta m JOIN zper zp USING (zone)
    ),
    {_core()},
    per AS (
        SELECT sk, k // 2 AS dn,
               max(b) FILTER (k % 2 = 1) - max(b) FILTER (k % 2 = 0) AS bus,
               max(u) FILTER (k % 2 = 1) - max(u) FILTER (k % 2 = 0) AS up
        FROM pu GROUP BY sk, k // 2
    ),
    hund AS (
        SELECT sk, dn, {up_h} AS uh, {down_h} AS dh,
               CASE WHEN bus > 0 THEN {pct} END AS ph
        FROM per
    )
    SELECT s.store_id, strftime(DATE '1970-01-01' + dn::INTEGER, '%Y-%m-%d'),
           {_fmt("uh")}, {_fmt("dh")}, coalesce({_fmt("ph")}, '')
    FROM hund JOIN stores s USING (sk)
    ORDER BY s.store_id, dn
    """


_PERIOD_SQL: Final = _period_sql()


def period_report(
    con: duckdb.DuckDBPyConnection,
    date_from: date,
    date_to: date,
    interval: str,
    as_of: datetime,
    store_ids: list[str] | None = None,
) -> list[tuple[str, ...]]:
    """The spec's period report: (store_id, period_start, uptime_hours, downtime_hours,
    uptime_percent) formatted as its CSV ('' percent without business time), by store_id then
    period_start. One SQL statement."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    if date_to < date_from:
        raise ValueError("date_to before date_from")
    params: dict[str, Any] = {
        "a": _us(as_of),
        "f": date_from,
        "t": date_to,
        "iv": interval,
        "ids": store_ids,
    }
    _settings(con)
    rows: list[tuple[str, ...]] = con.execute(_PERIOD_SQL, params).fetchall()
    return rows


def local_to_utc(con: duckdb.DuckDBPyConnection, zone: str, local: datetime) -> datetime:
    """The queries' local → UTC conversion of a naive local time, as an aware UTC datetime."""
    sql = "SELECT " + _TO_UTC.format(zone="$z::VARCHAR", local="$l::TIMESTAMP")
    row = con.execute(sql, {"z": zone, "l": local}).fetchone()
    assert row is not None
    return _EPOCH + timedelta(microseconds=int(row[0]))
