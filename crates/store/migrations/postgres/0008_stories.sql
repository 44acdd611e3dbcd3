-- Stories: documents about the same event across outlets and days. A story is derived
-- (the clusterer places each document; a periodic pass merges stories) and can be rebuilt
-- from documents and sightings; this table keeps what pages and alerts read of it.
CREATE TABLE stories (
    id                BIGINT PRIMARY KEY,
    title             TEXT    NOT NULL,
    origin_document   BIGINT  NOT NULL,
    origin_source     BIGINT  NOT NULL,
    origin_basis      TEXT    NOT NULL,
    province          TEXT,
    first_seen        BIGINT  NOT NULL,
    last_seen         BIGINT  NOT NULL,
    documents         BIGINT  NOT NULL,
    sightings         BIGINT  NOT NULL,
    outlets           BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX stories_last_seen ON stories (last_seen);

-- A document's story, and the earlier document it near-copies (an edited republication
-- is its own document, linked to its original). Documents stored before stories get
-- theirs when the pipeline next starts.
ALTER TABLE documents ADD COLUMN story_id BIGINT;
ALTER TABLE documents ADD COLUMN copy_of BIGINT;
CREATE INDEX documents_story ON documents (story_id);

-- What explains an alert beyond its documents: a spike's observed and expected counts,
-- threshold, method and baseline, as JSON.
ALTER TABLE alerts ADD COLUMN detail TEXT;

-- Each sighting's relation to its story's first publisher, recomputed when the story
-- changes: origin, republication (credited or not) or aggregator copy, its lag in
-- minutes, and the oddities of its times.
ALTER TABLE sightings ADD COLUMN relation TEXT;
ALTER TABLE sightings ADD COLUMN lag_minutes BIGINT;
ALTER TABLE sightings ADD COLUMN anomalies TEXT;

-- Spike scans and trends count each sighting on its publication day (its fetch time when
-- it has none, or one later than the fetch): the same expression as their queries.
CREATE INDEX sightings_counted_at ON sightings
    ((CASE WHEN published_at IS NOT NULL AND published_at <= fetched_at THEN published_at ELSE fetched_at END));
