DROP TABLE live_tickets;
DROP TABLE check_ins;
