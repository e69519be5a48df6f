-- Why a revision was stored, in the words of whoever made the change: "quote edited", "photo
-- caption edited", a correction's note. NULL for ordinary saves of the article itself.
ALTER TABLE article_revisions ADD COLUMN note TEXT;
