DROP INDEX article_revisions_by_version;
DROP INDEX articles_by_section_updated;
DROP INDEX articles_by_headline;
DROP INDEX articles_by_created;
DROP INDEX articles_by_published;
DROP TABLE articles_fts;
ALTER TABLE articles DROP COLUMN first_published_at;
ALTER TABLE articles DROP COLUMN tags;
