DROP TABLE commitment_occurrences;
DROP TABLE commitments;
