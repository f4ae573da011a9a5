DROP TABLE activities;
DROP TABLE trust_ratings;
