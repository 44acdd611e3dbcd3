-- Initial schema. Timestamps are UTC milliseconds since the Unix epoch; flags are 0/1.
-- Migrations are append-only: never edit a released file, add a new one.
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL,
    url             TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    tier            TEXT    NOT NULL DEFAULT 'press',
    interval_secs   INTEGER NOT NULL DEFAULT 600,
    allow_private   INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    etag            TEXT,
    last_modified   TEXT,
    error_count     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_fetched_at INTEGER,
    next_poll_at    INTEGER,
    created_at      INTEGER NOT NULL
);

CREATE TABLE documents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id    INTEGER NOT NULL REFERENCES sources (id),
    url          TEXT    NOT NULL UNIQUE,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    author       TEXT,
    published_at INTEGER,
    fetched_at   INTEGER NOT NULL,
    language     TEXT    NOT NULL,
    content_hash TEXT    NOT NULL UNIQUE
);
CREATE INDEX documents_fetched_at ON documents (fetched_at);
CREATE INDEX documents_published_at ON documents (published_at);

CREATE TABLE rule_hits (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    rule_id     TEXT    NOT NULL,
    rule_title  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    terms       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (document_id, rule_id)
);
CREATE INDEX rule_hits_rule ON rule_hits (rule_id, created_at);
CREATE INDEX rule_hits_created ON rule_hits (created_at);

CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    rule_id          TEXT    NOT NULL,
    rule_title       TEXT    NOT NULL,
    severity         TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    doc_count        INTEGER NOT NULL,
    last_document_id INTEGER NOT NULL REFERENCES documents (id)
);
-- At most one open alert per rule: new hits update it, a closed alert stays closed.
CREATE UNIQUE INDEX alerts_open_rule ON alerts (rule_id) WHERE state <> 'closed';
CREATE INDEX alerts_last_seen ON alerts (last_seen);

CREATE TABLE alert_documents (
    alert_id    INTEGER NOT NULL REFERENCES alerts (id),
    document_id INTEGER NOT NULL REFERENCES documents (id),
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (alert_id, document_id)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    action  TEXT    NOT NULL,
    target  TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
