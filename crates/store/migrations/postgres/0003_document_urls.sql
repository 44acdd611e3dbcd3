-- Other URLs that lead to a stored document: a feed item's link when the page declares
-- another canonical URL, a search feed's redirect link. Looked up like the document's own.
CREATE TABLE document_urls (
    url         TEXT    PRIMARY KEY,
    document_id BIGINT  NOT NULL REFERENCES documents (id)
);
CREATE INDEX document_urls_document ON document_urls (document_id);
