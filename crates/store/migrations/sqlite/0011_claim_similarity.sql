-- How closely a document repeats the known claim of a claim hit (0 to 1) and the passage
-- that repeats it (a JSON list of one matched term, like hit terms).
ALTER TABLE rule_hits ADD COLUMN claim_similarity REAL;
ALTER TABLE rule_hits ADD COLUMN claim_passage TEXT;
