-- An operator can disable an account: it cannot sign in and gets no mail, its words stay.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
-- A deleted account keeps only its id (so that the partner's history still says "a former
-- member did this"); its profile and its words are gone.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
