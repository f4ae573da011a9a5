DROP TABLE weekly_answers;
DROP TABLE weekly_rounds;
