-- Correction tracking: once the office has published its response to an alert, every
-- outlet item that carried the claim is watched for 14 days (a formal correction or the
-- response republished by the same outlet, the item taken down or edited). Outcome changes
-- are also alert events; these tables hold the current state and what the checks need.
-- No foreign keys to documents, sightings or sources: purging a source must not be blocked
-- by the history of an alert it once fed.
CREATE TABLE correction_tracking (
    alert_id        INTEGER PRIMARY KEY,
    -- The response tracked from (the alert's first) and t0, its publication.
    response_id     INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    finished_at     INTEGER,
    -- The last sighting read for evidence (later documents of the carrying outlets).
    evidence_cursor INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX correction_tracking_open ON correction_tracking (finished_at);

-- One row per (alert, URL) among the alert's sightings: a carrier of the claim, a later
-- item (residual spread, seen after the first day), or a counter item (a refutation, a
-- correction, the response republished) that is neither.
CREATE TABLE correction_items (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id          INTEGER NOT NULL,
    sighting_id       INTEGER NOT NULL,
    document_id       INTEGER NOT NULL,
    source_id         INTEGER NOT NULL,
    url               TEXT    NOT NULL,
    carried_at        INTEGER NOT NULL,
    role              TEXT    NOT NULL,
    reach             INTEGER NOT NULL DEFAULT 0,
    reach_basis       TEXT    NOT NULL DEFAULT 'tier',
    -- The matched sentences, as the item carried them when tracking started.
    passage           TEXT    NOT NULL DEFAULT '',
    fetchable         INTEGER NOT NULL DEFAULT 0,
    outcome           TEXT    NOT NULL DEFAULT 'unchanged',
    outcome_at        INTEGER,
    remedied_at       INTEGER,
    basis             TEXT,
    evidence_document INTEGER,
    checks            INTEGER NOT NULL DEFAULT 0,
    next_check_at     INTEGER,
    last_checked_at   INTEGER,
    last_status       INTEGER,
    etag              TEXT,
    last_modified     TEXT,
    -- The document revision last looked at for an edit.
    seen_revision     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (alert_id, url)
);
CREATE INDEX correction_items_alert ON correction_items (alert_id, role, source_id);
CREATE INDEX correction_items_due ON correction_items (next_check_at);
