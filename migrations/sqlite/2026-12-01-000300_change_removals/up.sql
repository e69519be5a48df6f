-- Which audiences a change took the resource away from: a bit per reader class that could see
-- it just before the change and cannot after (1 the public and other contributors, 2 partner
-- keys, 4 partner keys with embargoed:read). The change feed shows such a row to those readers
-- as a removal, and hides every row of what they never could see.
ALTER TABLE changes ADD COLUMN removed_for INTEGER NOT NULL DEFAULT 0;
