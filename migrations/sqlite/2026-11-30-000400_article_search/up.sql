-- Articles: tags kept on the row (so a read needs no join), the time of first publication (slugs
-- are frozen from then on), full-text search and the indexes the list filters and sorts use.
ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE articles ADD COLUMN first_published_at TEXT;

-- Full text of headline, standfirst and body text, kept in step on every article write.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    article_id UNINDEXED,
    headline,
    standfirst,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE INDEX articles_by_published ON articles (published_at, id);
CREATE INDEX articles_by_created ON articles (created_at, id);
CREATE INDEX articles_by_headline ON articles (headline, id);
CREATE INDEX articles_by_section_updated ON articles (section, updated_at, id);
CREATE INDEX article_revisions_by_version ON article_revisions (article_id, version);
