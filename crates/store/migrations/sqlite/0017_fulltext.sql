-- The PostgreSQL search backend's lexemes (`document_lexemes`, `lexeme_queue`) exist only
-- on PostgreSQL: with SQLite, search is the tantivy index. The number is kept so both
-- directories stay numbered alike.
SELECT 1;
