-- Stores get a small integer key so that polls are fixed-width rows (fast to store and stream).
CREATE TABLE stores (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id text COLLATE "C" NOT NULL UNIQUE
);

-- One row per ingested file. A poll's seq is (ingest id << 32) + line, so later lines win; an
-- hours or timezones ingest's id names its snapshot. max_ts of the polls files gives the
-- default as_of without scanning the polls.
CREATE TABLE ingests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('polls', 'hours', 'timezones')),
    source text NOT NULL,
    rows bigint NOT NULL DEFAULT 0,
    max_ts timestamptz,
    ingested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingests_kind ON ingests (kind, id);

-- Append-only: a re-sent (store, instant) is a new row with a higher seq; readers keep the latest.
-- Partitioned by UTC day (polls_YYYYMMDD), each day by blocks of store keys (…_bNNNN), made by
-- the ingest, no index: a report shard reads the nine days of its span for its block of stores
-- and nothing else; inserts maintain no index; retention is a DROP of old days.
CREATE TABLE polls (
    store integer NOT NULL,
    ts timestamptz NOT NULL,
    active boolean NOT NULL,
    seq bigint NOT NULL
) PARTITION BY RANGE (ts);

-- Only on the error path of an ingest: finds the first timestamp PostgreSQL refuses.
CREATE FUNCTION storemon_is_timestamptz(value text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM value::timestamptz;
    RETURN true;
EXCEPTION WHEN others THEN
    RETURN false;
END $$;

-- Snapshots: each ingest of hours or zones adds rows under its own ingest id; a report reads
-- the snapshots that were current when it was triggered. Older snapshots are dropped once no
-- running report needs them.
CREATE TABLE business_hours (
    snapshot bigint NOT NULL,
    store_id text COLLATE "C" NOT NULL,
    day smallint NOT NULL CHECK (day BETWEEN 0 AND 6),
    start_local time NOT NULL,
    end_local time NOT NULL
);
CREATE INDEX business_hours_snapshot_store ON business_hours (snapshot, store_id);

CREATE TABLE store_timezones (
    snapshot bigint NOT NULL,
    store_id text COLLATE "C" NOT NULL,
    timezone text,  -- NULL: no zone, the default applies
    PRIMARY KEY (snapshot, store_id)
);

CREATE TABLE reports (
    id uuid PRIMARY KEY,
    status text NOT NULL CHECK (status IN ('Running', 'Complete', 'Failed')),
    as_of timestamptz,  -- NULL only when there were no polls at all
    hours_snapshot bigint NOT NULL DEFAULT 0,
    timezones_snapshot bigint NOT NULL DEFAULT 0,
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    progress real NOT NULL DEFAULT 0,
    shards_total integer,  -- set by the planning job
    rows integer,
    error text
);
CREATE INDEX reports_requested_at ON reports (requested_at DESC);
CREATE INDEX reports_running ON reports (status) WHERE status = 'Running';

-- One row per shard of a report: the stores with lo <= key < hi. done_at is set once, by the
-- first run that wrote the shard's part file; a redelivered shard finds it set and stops.
CREATE TABLE report_shards (
    report_id uuid NOT NULL REFERENCES reports ON DELETE CASCADE,
    shard integer NOT NULL,
    lo integer NOT NULL,
    hi integer NOT NULL,
    rows integer,
    started_at timestamptz,  -- of the run that finished it (for the shard duration metric)
    done_at timestamptz,
    PRIMARY KEY (report_id, shard)
);
