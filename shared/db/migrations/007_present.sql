-- The present: each store's state at the latest poll (kept up to date by the workers after each
-- ingest), the events its changes and the reports' ends record, and the webhook endpoints they
-- are delivered to, with every delivery and attempt.

-- A store's state as last evaluated: open (in business hours), down (its latest observation
-- inactive) since when, its latest poll; alerted_since is the start of the outage a store.down
-- announced, until the store.up that ends it.
CREATE TABLE store_present (
    store integer PRIMARY KEY,
    block integer NOT NULL,
    open boolean NOT NULL,
    down boolean NOT NULL,
    since timestamptz NOT NULL,
    last_poll timestamptz NOT NULL,
    alerted_since timestamptz
);
CREATE INDEX store_present_open_down ON store_present (since, store) WHERE open AND down;
CREATE INDEX store_present_block ON store_present (block);

-- What each block of stores was last evaluated on: the now (latest poll), the latest polls
-- ingest and the snapshots of hours and zones. A block behind any of them is evaluated again.
CREATE TABLE present_blocks (
    block integer PRIMARY KEY,
    evaluated_now timestamptz NOT NULL,
    ingest bigint NOT NULL,
    hours_snapshot bigint NOT NULL,
    timezones_snapshot bigint NOT NULL
);

-- Events, in the order they were recorded; each commits with the state it derives from.
-- `at` is when it happened (the data's time), `data` its body.
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type text NOT NULL,
    at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    store integer,
    data jsonb NOT NULL
);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_store ON events (store, id) WHERE store IS NOT NULL;

-- Webhook endpoints. After a failed attempt an endpoint backs off: until its `probe` delivery
-- succeeds, its other deliveries wait (parked) instead of each trying a dead endpoint.
-- failing_since: a delivery was given up (after 24 hours of retries); a success clears it.
CREATE TABLE webhooks (
    id uuid PRIMARY KEY,
    url text NOT NULL,
    events text[] NOT NULL,
    description text NOT NULL DEFAULT '',
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    failing_since timestamptz,
    probe bigint
);

-- One delivery of an event (NULL: a test) to an endpoint, made in the event's transaction.
-- published: its message was handed to the broker; parked: it waits for its endpoint's probe;
-- leased_until: an attempt is under way (another one waits for it).
CREATE TABLE deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id uuid NOT NULL REFERENCES webhooks ON DELETE CASCADE,
    event_id bigint REFERENCES events,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    published boolean NOT NULL DEFAULT false,
    parked boolean NOT NULL DEFAULT false,
    next_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX deliveries_pending ON deliveries (webhook_id, id) WHERE state = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_unpublished ON deliveries (id) WHERE state = 'pending' AND NOT published;

-- Every attempt, logged as it starts (an attempt a killed worker never finished keeps its
-- error) and completed with its answer.
CREATE TABLE delivery_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES deliveries ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    status_code integer,
    duration_ms double precision,
    error text
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
