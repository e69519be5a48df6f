DROP TRIGGER taxonomy_counts_tag_delete;
DROP TRIGGER taxonomy_counts_tag_insert;
DROP TRIGGER taxonomy_counts_article_delete;
DROP TRIGGER taxonomy_counts_article_update;
DROP TRIGGER taxonomy_counts_article_insert;
DROP INDEX articles_by_embargo;
DROP TABLE taxonomy_counts;
