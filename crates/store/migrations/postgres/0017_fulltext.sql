-- The PostgreSQL search backend (`search.backend = "postgres"`).

-- Each document's searchable lexemes: the search analyzer's own tokens written as a
-- `tsvector` (`search::fulltext::lexemes`), never PostgreSQL's parser. `lossy` marks a
-- document with more positions than a `tsvector` keeps (past 16383, or more than 256 of
-- one lexeme): its phrases are checked on its text. `revision` is the document's revision
-- the lexemes were made from.
CREATE TABLE document_lexemes (
    document_id BIGINT   PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    lexemes     tsvector NOT NULL,
    lossy       BOOLEAN  NOT NULL,
    revision    BIGINT   NOT NULL
);
CREATE INDEX document_lexemes_gin ON document_lexemes USING GIN (lexemes);
-- The few lossy documents, for the phrase candidates among them.
CREATE INDEX document_lexemes_lossy ON document_lexemes USING GIN (lexemes) WHERE lossy;

-- Documents whose lexemes are missing or out of date. A trigger queues every document
-- stored, every change of its text and every document of a renamed source, in the
-- writer's own transaction, so whichever process stores a document, it is queued exactly
-- when it commits; `Store::fill_lexemes` takes rows with SKIP LOCKED and deletes them in
-- the transaction that writes the lexemes, so several processes fill side by side and a
-- crash leaves its rows queued.
CREATE TABLE lexeme_queue (
    document_id BIGINT PRIMARY KEY
);

-- Whether documents are queued at all: only while this database is searched through its
-- lexemes (`Store::use_lexemes`, set by `serve` from `search.backend`); with the tantivy
-- index nothing is queued or written. A trigger reads it FOR SHARE, so turning it on waits
-- for the transactions that read it off, and the documents those stored are queued with
-- the rest.
CREATE TABLE lexeme_switch (
    enabled BOOLEAN NOT NULL
);
INSERT INTO lexeme_switch (enabled) VALUES (FALSE);

CREATE FUNCTION langnghe_queue_lexemes() RETURNS trigger AS $$
BEGIN
    IF (SELECT enabled FROM lexeme_switch FOR SHARE) THEN
        INSERT INTO lexeme_queue (document_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER documents_queue_lexemes
    AFTER INSERT OR UPDATE OF title, summary, body, language, source_id ON documents
    FOR EACH ROW EXECUTE FUNCTION langnghe_queue_lexemes();

CREATE FUNCTION langnghe_queue_source_lexemes() RETURNS trigger AS $$
BEGIN
    IF (SELECT enabled FROM lexeme_switch FOR SHARE) THEN
        INSERT INTO lexeme_queue (document_id)
            SELECT id FROM documents WHERE source_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER sources_queue_lexemes
    AFTER UPDATE OF name ON sources
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION langnghe_queue_source_lexemes();

-- Documents stored before the switch is turned on are queued when it is.
