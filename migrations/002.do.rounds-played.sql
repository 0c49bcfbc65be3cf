-- How many rounds a concluded game actually opened (an abandoned game stops early, an
-- expired lobby opened none), so the final state shows the right last question.
ALTER TABLE parties ADD COLUMN rounds_played INTEGER;
