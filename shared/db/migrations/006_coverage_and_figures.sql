-- Coverage: the latest poll stored when a report was triggered (its as_of may be another
-- instant), so that a report says where its data ends.
ALTER TABLE reports ADD COLUMN latest_poll timestamptz;
