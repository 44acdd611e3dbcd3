-- Sources of every kind, managed from the configuration, the command line or OPML;
-- adaptive polling; revisions of updated articles; engagement of imported social posts.
ALTER TABLE sources ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
ALTER TABLE sources ADD COLUMN fetch_articles TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE sources ADD COLUMN category TEXT;
ALTER TABLE sources ADD COLUMN poll_interval_secs INTEGER;
ALTER TABLE sources ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;
UPDATE sources SET kind = 'import' WHERE kind = 'file';

ALTER TABLE documents ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN revised_at INTEGER;
ALTER TABLE documents ADD COLUMN platform TEXT;
ALTER TABLE documents ADD COLUMN reactions INTEGER;
ALTER TABLE documents ADD COLUMN shares INTEGER;
ALTER TABLE documents ADD COLUMN comments INTEGER;
CREATE INDEX documents_source_published ON documents (source_id, published_at);

-- The text a document had before each revision; the documents row holds the latest.
CREATE TABLE document_revisions (
    document_id  INTEGER NOT NULL REFERENCES documents (id),
    revision     INTEGER NOT NULL,
    replaced_at  INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    PRIMARY KEY (document_id, revision)
);
