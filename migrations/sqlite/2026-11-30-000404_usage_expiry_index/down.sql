DROP INDEX media_by_usage_expires;
