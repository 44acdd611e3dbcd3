-- Places: the provinces (the 34 units since 1 July 2025) each document names, with their
-- spans, and the one it is about; a source's home province stands in when its text names
-- none (a Sở Y tế portal is about its province). Documents stored before this migration
-- keep no places and no province until they are processed again (a revision).
ALTER TABLE sources ADD COLUMN home_province TEXT;

ALTER TABLE documents ADD COLUMN province TEXT;
-- A province's documents, newest first: its feed, its counts per window.
CREATE INDEX documents_province ON documents (province, fetched_at);

CREATE TABLE document_places (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    code        TEXT    NOT NULL,
    historic    TEXT,
    kind        TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    start_byte  INTEGER NOT NULL,
    end_byte    INTEGER NOT NULL,
    PRIMARY KEY (document_id, field, start_byte)
);
CREATE INDEX document_places_code ON document_places (code);
