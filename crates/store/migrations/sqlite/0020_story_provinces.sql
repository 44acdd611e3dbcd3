-- A story refresh counts its documents per province: with the province beside the story
-- in one index, the count reads the index only, never the documents' rows and bodies. The
-- index serves every lookup by story that the one it replaces did.
CREATE INDEX documents_story_province ON documents (story_id, province);
DROP INDEX documents_story;
