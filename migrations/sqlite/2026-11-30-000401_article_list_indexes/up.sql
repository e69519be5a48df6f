-- Public lists of one section, newest first, walk this index in order and stop at the page size.
CREATE INDEX articles_by_section_time ON articles (section, published_at, id);
