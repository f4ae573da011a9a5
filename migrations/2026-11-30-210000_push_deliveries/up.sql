-- Web Push goes through the outbox beside mail: a push is a delivery row with the device it
-- goes to. Mail rows leave it NULL. A removed device takes its pushes with it, sent or not.
-- For a push, to_address holds the push service's origin (what an operator may see), template
-- is 'push' and data is the payload itself: {"kind", "link"}, never any words.
ALTER TABLE deliveries ADD COLUMN push_subscription_id TEXT
    REFERENCES push_subscriptions(id) ON DELETE CASCADE;
CREATE INDEX deliveries_by_push_subscription ON deliveries(push_subscription_id)
    WHERE push_subscription_id IS NOT NULL;
