-- Every place a document was seen: its own URL, and every copy of the same text under
-- another URL or outlet. A copy is recorded here, never dropped: how many outlets carried
-- a text, and who was first, is what an office needs to know.
CREATE TABLE sightings (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  BIGINT  NOT NULL REFERENCES documents (id),
    source_id    BIGINT  NOT NULL REFERENCES sources (id),
    url          TEXT    NOT NULL UNIQUE,
    published_at BIGINT,
    fetched_at   BIGINT  NOT NULL
);
CREATE INDEX sightings_document ON sightings (document_id);
CREATE INDEX sightings_source ON sightings (source_id);
-- Documents stored before this migration were each seen once, at their own URL.
INSERT INTO sightings (document_id, source_id, url, published_at, fetched_at)
    SELECT id, source_id, url, published_at, fetched_at FROM documents ORDER BY id;
