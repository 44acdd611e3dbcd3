-- Several processes on one database.

-- Sources polled under claims: the process polling a source (`claimed_by`) and when its
-- claim runs out (`claimed_until`, UTC milliseconds). A claim is taken with the source's
-- poll, renewed by its holder while the poll is under way and cleared when the poll's
-- outcome is recorded; a holder that dies leaves a claim that runs out, and the source
-- becomes due for another process.
ALTER TABLE sources ADD COLUMN claimed_by TEXT;
ALTER TABLE sources ADD COLUMN claimed_until INTEGER;
CREATE INDEX sources_due ON sources (next_poll_at, id);
CREATE INDEX sources_claimed_by ON sources (claimed_by);

-- Blocks of ids handed out to processes: each process that places documents in stories
-- takes the keys of its new stories from a block of its own, so two processes never give
-- two stories one key. `next_id` is the first id not handed out yet.
CREATE TABLE id_blocks (
    name    TEXT    PRIMARY KEY,
    next_id INTEGER NOT NULL
);
INSERT INTO id_blocks (name, next_id)
    SELECT 'stories', COALESCE(MAX(m), 0) + 1 FROM
    (SELECT MAX(story_id) AS m FROM documents UNION ALL SELECT MAX(id) AS m FROM stories) x;
