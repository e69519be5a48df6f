DROP INDEX idempotency_keys_by_age;
ALTER TABLE idempotency_keys DROP COLUMN completed;
