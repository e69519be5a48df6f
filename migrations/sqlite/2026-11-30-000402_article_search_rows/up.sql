-- Which search-index row belongs to which article. The FTS5 table cannot index its article_id
-- column, so finding an article's row there meant reading the whole index on every write; this
-- table turns it into a primary-key lookup.
CREATE TABLE articles_fts_rows (
    article_id TEXT PRIMARY KEY NOT NULL,
    fts_rowid INTEGER NOT NULL
);
INSERT OR REPLACE INTO articles_fts_rows (article_id, fts_rowid)
    SELECT article_id, rowid FROM articles_fts;
