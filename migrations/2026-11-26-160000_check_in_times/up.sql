-- Each person's check-in reminder times: a JSON list of local times ("HH:MM:SS"), sorted.
ALTER TABLE users ADD COLUMN check_in_times TEXT NOT NULL DEFAULT '[]';
