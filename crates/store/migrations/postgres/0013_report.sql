-- The office's own communication counts for a reporting period (articles written,
-- broadcasts, leaflets, community sessions…), entered by hand on the report page and
-- exported with the period report. A period is its first and last Vietnam day, both
-- included, written YYYY-MM-DD; an indicator is one of model::report::ActivityIndicator.
CREATE TABLE office_activity (
    period_from TEXT    NOT NULL,
    period_to   TEXT    NOT NULL,
    indicator   TEXT    NOT NULL,
    value       BIGINT  NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    author      TEXT,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (period_from, period_to, indicator)
);
