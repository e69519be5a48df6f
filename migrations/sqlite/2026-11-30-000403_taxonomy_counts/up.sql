-- How many released articles (status published or scheduled, with a publication time) carry
-- each section and tag. Triggers keep the figures on every write, whoever writes (the server,
-- the importer, a script), so `GET /v1/sections` and `GET /v1/tags` read a handful of rows
-- instead of counting the archive. Released articles that are not visible yet (publication
-- time or embargo still ahead) are few; they are subtracted when the counts are read.
CREATE TABLE taxonomy_counts (
    kind TEXT NOT NULL CHECK (kind IN ('section', 'tag')),
    name TEXT NOT NULL,
    released INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;

INSERT INTO taxonomy_counts (kind, name, released)
SELECT 'section', section, count(*) FROM articles
WHERE section IS NOT NULL AND status IN ('published', 'scheduled') AND published_at IS NOT NULL
GROUP BY section;

INSERT INTO taxonomy_counts (kind, name, released)
SELECT 'tag', t.tag, count(*) FROM article_tags t JOIN articles a ON a.id = t.article_id
WHERE a.status IN ('published', 'scheduled') AND a.published_at IS NOT NULL
GROUP BY t.tag;

-- Finding the released articles whose embargo is still ahead without reading every row.
CREATE INDEX articles_by_embargo ON articles (embargo_until) WHERE embargo_until IS NOT NULL;

CREATE TRIGGER taxonomy_counts_article_insert AFTER INSERT ON articles
WHEN NEW.section IS NOT NULL
    AND NEW.status IN ('published', 'scheduled') AND NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO taxonomy_counts (kind, name, released) VALUES ('section', NEW.section, 1)
    ON CONFLICT (kind, name) DO UPDATE SET released = released + 1;
END;

CREATE TRIGGER taxonomy_counts_article_update AFTER UPDATE OF status, published_at, section ON articles
BEGIN
    UPDATE taxonomy_counts SET released = released - 1
    WHERE kind = 'section' AND name = OLD.section
        AND OLD.status IN ('published', 'scheduled') AND OLD.published_at IS NOT NULL;
    INSERT INTO taxonomy_counts (kind, name, released)
    SELECT 'section', NEW.section, 1
    WHERE NEW.section IS NOT NULL
        AND NEW.status IN ('published', 'scheduled') AND NEW.published_at IS NOT NULL
    ON CONFLICT (kind, name) DO UPDATE SET released = released + 1;
    -- Tags change only when the article enters or leaves the released set.
    UPDATE taxonomy_counts SET released = released - 1
    WHERE kind = 'tag'
        AND name IN (SELECT tag FROM article_tags WHERE article_id = OLD.id)
        AND (OLD.status IN ('published', 'scheduled') AND OLD.published_at IS NOT NULL)
        AND NOT (NEW.status IN ('published', 'scheduled') AND NEW.published_at IS NOT NULL);
    INSERT INTO taxonomy_counts (kind, name, released)
    SELECT 'tag', tag, 1 FROM article_tags
    WHERE article_id = NEW.id
        AND (NEW.status IN ('published', 'scheduled') AND NEW.published_at IS NOT NULL)
        AND NOT (OLD.status IN ('published', 'scheduled') AND OLD.published_at IS NOT NULL)
    ON CONFLICT (kind, name) DO UPDATE SET released = released + 1;
END;

-- BEFORE, so the article's tags are still there to count down. Its tag rows go afterwards by
-- ON DELETE CASCADE, when the article row is already gone, so the tag trigger below skips them.
CREATE TRIGGER taxonomy_counts_article_delete BEFORE DELETE ON articles
WHEN OLD.status IN ('published', 'scheduled') AND OLD.published_at IS NOT NULL
BEGIN
    UPDATE taxonomy_counts SET released = released - 1
    WHERE kind = 'section' AND name = OLD.section;
    UPDATE taxonomy_counts SET released = released - 1
    WHERE kind = 'tag' AND name IN (SELECT tag FROM article_tags WHERE article_id = OLD.id);
END;

CREATE TRIGGER taxonomy_counts_tag_insert AFTER INSERT ON article_tags
WHEN EXISTS (
    SELECT 1 FROM articles
    WHERE id = NEW.article_id
        AND status IN ('published', 'scheduled') AND published_at IS NOT NULL
)
BEGIN
    INSERT INTO taxonomy_counts (kind, name, released) VALUES ('tag', NEW.tag, 1)
    ON CONFLICT (kind, name) DO UPDATE SET released = released + 1;
END;

CREATE TRIGGER taxonomy_counts_tag_delete AFTER DELETE ON article_tags
WHEN EXISTS (
    SELECT 1 FROM articles
    WHERE id = OLD.article_id
        AND status IN ('published', 'scheduled') AND published_at IS NOT NULL
)
BEGIN
    UPDATE taxonomy_counts SET released = released - 1
    WHERE kind = 'tag' AND name = OLD.tag;
END;
