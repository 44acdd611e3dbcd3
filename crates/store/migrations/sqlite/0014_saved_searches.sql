-- Saved searches: a user's query with its filters (JSON, see store::SearchFilters) and sort,
-- opened again from the saved searches page. With `notify`, documents stored after
-- `last_notified_doc` that match are announced to the owner on their subscription
-- channels, and the cursor moves past them in the same transaction as the messages.
CREATE TABLE saved_searches (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id          INTEGER NOT NULL REFERENCES users (id),
    name              TEXT    NOT NULL,
    query             TEXT    NOT NULL,
    filters           TEXT    NOT NULL DEFAULT '{}',
    sort              TEXT    NOT NULL DEFAULT 'relevance',
    notify            INTEGER NOT NULL DEFAULT 0,
    last_notified_doc INTEGER NOT NULL DEFAULT 0,
    last_notified_at  INTEGER,
    created_at        INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);
CREATE INDEX saved_searches_notify ON saved_searches (notify);
