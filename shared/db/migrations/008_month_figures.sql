-- Month figures: per block and calendar month (`month`, its first date), under one hours and
-- one zones snapshot, each store's daily figures of the month's dates combined into one record
-- (shared/uptime/daily.py `combined`; `stores` records, as many as its shortest day row has).
-- Written by the figures job in the transaction that writes any of the month's day rows, once
-- every date of the month has one, so a month row is always the sum of the rows beside it. A
-- long report takes a whole month from one row instead of thirty.
CREATE TABLE month_figures (
    hours_snapshot bigint NOT NULL,
    timezones_snapshot bigint NOT NULL,
    block integer NOT NULL,
    month date NOT NULL,
    stores integer NOT NULL,
    figures bytea NOT NULL,
    PRIMARY KEY (hours_snapshot, timezones_snapshot, block, month)
);
-- Stored uncompressed, so that a report reads a slice of a row without reading all of it.
ALTER TABLE month_figures ALTER COLUMN figures SET STORAGE EXTERNAL;
