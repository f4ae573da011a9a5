ALTER TABLE users DROP COLUMN check_in_times;
