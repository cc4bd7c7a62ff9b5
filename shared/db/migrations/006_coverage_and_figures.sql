-- Coverage: the latest poll stored when a report was triggered (its as_of may be another
-- instant), so that a report says where its data ends.
ALTER TABLE reports ADD COLUMN latest_poll timestamptz;

-- Daily figures (shared/figurerows.py, shared/uptime/daily.py): per block of 4,096 store keys
-- and local date, under one hours and one zones snapshot, each store's figures as a packed
-- record (`stores` records, store keys block × 4096 + 0 … stores − 1). Kept up to date by the
-- workers' figures jobs; reports use them where valid (shared/uptime/fromdays.py).
CREATE TABLE daily_figures (
    hours_snapshot bigint NOT NULL,
    timezones_snapshot bigint NOT NULL,
    block integer NOT NULL,
    day date NOT NULL,
    stores integer NOT NULL,
    figures bytea NOT NULL,
    PRIMARY KEY (hours_snapshot, timezones_snapshot, block, day)
);
-- Stored uncompressed, so that a report reads a slice of a row without reading all of it.
ALTER TABLE daily_figures ALTER COLUMN figures SET STORAGE EXTERNAL;

-- Every figure row of a snapshot pair and block reflects every poll chunk of that block with a
-- rank up to `rank`: a report treats the polls of later chunks as possibly missing from them.
CREATE TABLE figure_marks (
    hours_snapshot bigint NOT NULL,
    timezones_snapshot bigint NOT NULL,
    block integer NOT NULL,
    rank bigint NOT NULL,
    PRIMARY KEY (hours_snapshot, timezones_snapshot, block)
);
