DROP TABLE talk_occurrences;
DROP TABLE talks;
