-- What /metrics shows, kept as counters updated with the change they count, so that a scrape
-- reads a few rows instead of every report and every shard run ever; and finished reports'
-- shard rows, which housekeeping now prunes, summed on the report first.

-- Reports by what happened to them: 'triggered', then 'Complete', 'Failed', 'Cancelled' (each
-- counted once, when a Running report ends so) and 'Expired'.
CREATE TABLE report_counts (
    outcome text PRIMARY KEY,
    count bigint NOT NULL DEFAULT 0
);

-- Histograms of seconds, one row per bucket (not cumulative): `upper` is the bucket's upper
-- bound (the observations ≤ it and > the next lower bound); 'Infinity' for the last.
-- metric: 'report' (trigger → Complete) or 'shard' (a finished run of a shard).
CREATE TABLE duration_counts (
    metric text NOT NULL,
    upper double precision NOT NULL,
    count bigint NOT NULL DEFAULT 0,
    seconds double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (metric, upper)
);

-- The done shards of a finished report whose report_shards rows housekeeping pruned (NULL:
-- not pruned, count the rows).
ALTER TABLE reports ADD COLUMN shards_done_pruned integer;

-- Counters of the history so far, as /metrics computed them from the rows until now.
INSERT INTO report_counts (outcome, count)
SELECT 'triggered', count(*) FROM reports
UNION ALL
SELECT o, count(*) FILTER (WHERE coalesce(expired_from, status) = o)
FROM reports, unnest(ARRAY['Complete', 'Failed', 'Cancelled']) o GROUP BY o
UNION ALL
SELECT 'Expired', count(*) FILTER (WHERE status = 'Expired') FROM reports;

-- The bounds of shared/metrics.py's REPORT_BUCKETS and SHARD_BUCKETS at this version.
INSERT INTO duration_counts (metric, upper, count, seconds)
SELECT 'report', upper, count(*), sum(seconds)
FROM (
    SELECT extract(epoch FROM finished_at - requested_at)::float8 AS seconds FROM reports
    WHERE coalesce(expired_from, status) = 'Complete'
) r, LATERAL (
    SELECT coalesce(min(b), 'Infinity') AS upper
    FROM unnest('{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600}'::float8[]) b WHERE b >= r.seconds
) u
WHERE seconds IS NOT NULL
GROUP BY upper;
INSERT INTO duration_counts (metric, upper, count, seconds)
SELECT 'shard', upper, count(*), sum(seconds)
FROM (
    SELECT extract(epoch FROM done_at - started_at)::float8 AS seconds FROM report_shards
    WHERE done_at IS NOT NULL AND started_at IS NOT NULL
) s, LATERAL (
    SELECT coalesce(min(b), 'Infinity') AS upper
    FROM unnest('{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60}'::float8[]) b WHERE b >= s.seconds
) u
GROUP BY upper;

-- Housekeeping finds finished reports with shard rows left through this index (the rows of
-- Running reports, and those already pruned, are not in it).
CREATE INDEX reports_finished ON reports (finished_at)
    WHERE status <> 'Running' AND shards_done_pruned IS NULL;
