-- The response cache looks up the next photo usage expiry after each write.
CREATE INDEX media_by_usage_expires ON media (usage_expires) WHERE usage_expires IS NOT NULL;
