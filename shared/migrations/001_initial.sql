-- Stores get a small integer key so that polls are fixed-width rows (fast to store and stream).
CREATE TABLE stores (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id text COLLATE "C" NOT NULL UNIQUE
);

-- One row per ingested file; a poll's seq is (ingest id << 32) + line, so later lines win.
-- max_ts of the polls files gives the default as_of without scanning the polls.
CREATE TABLE ingests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    source text NOT NULL,
    rows bigint NOT NULL DEFAULT 0,
    max_ts timestamptz,
    ingested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingests_polls_max_ts ON ingests (max_ts) WHERE kind = 'polls';

-- Append-only: a re-sent (store, instant) is a new row with a higher seq; readers keep the latest.
-- One partition per UTC day (polls_YYYYMMDD, made by the ingest) and no index: a report reads
-- the nine days of its span and nothing else, inserts maintain no index, retention is a DROP.
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

CREATE TABLE business_hours (
    store_id text COLLATE "C" NOT NULL,
    day smallint NOT NULL CHECK (day BETWEEN 0 AND 6),
    start_local time NOT NULL,
    end_local time NOT NULL
);
CREATE INDEX business_hours_store_id ON business_hours (store_id);

CREATE TABLE store_timezones (
    store_id text COLLATE "C" PRIMARY KEY,
    timezone text  -- NULL: no zone, the default applies
);

CREATE TABLE reports (
    id uuid PRIMARY KEY,
    status text NOT NULL CHECK (status IN ('Running', 'Complete', 'Failed')),
    as_of timestamptz,  -- NULL only when there were no polls at all
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    progress real NOT NULL DEFAULT 0,
    rows integer,
    error text
);
CREATE INDEX reports_requested_at ON reports (requested_at DESC);
