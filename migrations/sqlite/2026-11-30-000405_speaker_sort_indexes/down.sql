DROP INDEX speakers_by_updated;
DROP INDEX speakers_by_created;
DROP INDEX speakers_by_name_nocase;
