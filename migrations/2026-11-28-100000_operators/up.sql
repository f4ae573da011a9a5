-- An operator can disable an account: it cannot sign in and gets no mail, its words stay.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
