-- The story log: every placement of a document in a story, every merge of one story into
-- another and every rebuild, in the order they were decided. Processes that place
-- documents side by side decide one at a time (the database's write lock here; an
-- advisory lock on PostgreSQL) and first apply what the others wrote since their last
-- reading, so each one's clusterer holds every story. `at` is when the entry was written
-- (UTC milliseconds): entries older than a day are pruned, and `id_blocks` row
-- 'story_log_pruned' keeps the last sequence number pruned, so a process that fell that
-- far behind knows to read its stories again.
CREATE TABLE story_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    document_id BIGINT,
    story_id    BIGINT,
    copy_of     BIGINT,
    into_story  BIGINT
);
CREATE INDEX story_log_at ON story_log (at);
INSERT INTO id_blocks (name, next_id) VALUES ('story_log_pruned', 0);
