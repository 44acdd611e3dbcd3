-- Revisions by the time they were stored: a process that follows the store into its own
-- index reads the recent ones every few seconds.
CREATE INDEX document_revisions_replaced_at ON document_revisions (replaced_at);
