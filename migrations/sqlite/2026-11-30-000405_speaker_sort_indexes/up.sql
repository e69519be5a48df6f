-- Speaker lists sort by name without regard to case (and by creation or update time): indexes
-- in those orders let a page stop after its rows instead of sorting every speaker.
CREATE INDEX speakers_by_name_nocase ON speakers (name COLLATE NOCASE, id);
CREATE INDEX speakers_by_created ON speakers (created_at, id);
CREATE INDEX speakers_by_updated ON speakers (updated_at, id);
