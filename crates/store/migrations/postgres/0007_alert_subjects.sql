-- An alert is an incident: its rule and what it is about, its subject (`story:ID`, or
-- `rule` for the alerts opened before stories, which keep gathering that rule's documents
-- until they are closed). At most one open alert per (rule, subject).
ALTER TABLE alerts ADD COLUMN subject TEXT NOT NULL DEFAULT 'rule';
DROP INDEX alerts_open_rule;
CREATE UNIQUE INDEX alerts_open_subject ON alerts (rule_id, subject) WHERE state <> 'closed';
