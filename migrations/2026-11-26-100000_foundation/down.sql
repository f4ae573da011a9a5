DROP TABLE events;
DROP TABLE invites;
DROP TABLE memberships;
DROP TABLE spaces;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
