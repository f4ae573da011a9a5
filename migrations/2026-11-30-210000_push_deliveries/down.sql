DROP INDEX deliveries_by_push_subscription;
ALTER TABLE deliveries DROP COLUMN push_subscription_id;
