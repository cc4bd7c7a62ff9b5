-- The lifecycle of a report: Cancelled on request, Expired after retention (its files gone,
-- its row kept as a tombstone); stalls counted (a Running report whose jobs were lost is planned
-- again, failed after its third stall).
ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check
    CHECK (status IN ('Running', 'Complete', 'Failed', 'Cancelled', 'Expired'));
ALTER TABLE reports ADD COLUMN stalls integer NOT NULL DEFAULT 0,
    ADD COLUMN stalled_at timestamptz,
    ADD COLUMN expired_from text;  -- the status an Expired report had (counters never go back)
CREATE INDEX reports_listing ON reports (status, requested_at DESC, id DESC);

-- A trigger's Idempotency-Key: the same key with the same request within 24 hours answers the
-- first report; report_id is NULL only inside the transaction that records it.
CREATE TABLE idempotency_keys (
    key text PRIMARY KEY,
    request text NOT NULL,  -- the request, canonical JSON
    report_id uuid REFERENCES reports,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What housekeeping did, summed over all passes of all workers (for /metrics).
CREATE TABLE housekeeping_counts (
    action text PRIMARY KEY,
    count bigint NOT NULL DEFAULT 0
);
