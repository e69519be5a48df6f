-- An Idempotency-Key is reserved (completed = 0) before its request runs, so a second request
-- with the same key while the first is running is answered 409 instead of running twice.
-- Rows already stored are finished answers.
ALTER TABLE idempotency_keys ADD COLUMN completed BOOLEAN NOT NULL DEFAULT 1;
-- Keys expire after 24 hours; the purge finds them by age.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
