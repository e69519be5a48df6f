ALTER TABLE changes DROP COLUMN removed_for;
