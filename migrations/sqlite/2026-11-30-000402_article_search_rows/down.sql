DROP TABLE articles_fts_rows;
