-- Period reports: a report may name local dates (both included) and how to cut them, and the
-- stores it is about (NULL: every store). Without dates it is the standard report.
ALTER TABLE reports
    ADD COLUMN date_from date,
    ADD COLUMN date_to date,
    ADD COLUMN period text CHECK (period IN ('day', 'week', 'month', 'total')),
    ADD COLUMN store_ids text[],
    ADD CONSTRAINT reports_period_whole CHECK (
        (date_from IS NULL) = (date_to IS NULL) AND (date_from IS NULL) = (period IS NULL)
        AND (store_ids IS NULL OR date_from IS NOT NULL)
    );
