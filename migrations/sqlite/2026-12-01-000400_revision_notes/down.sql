ALTER TABLE article_revisions DROP COLUMN note;
