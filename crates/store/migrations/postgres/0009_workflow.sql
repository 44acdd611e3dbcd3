-- Alert handling: every alert has a priority class, an assignee, deadlines (when each
-- started and when it is due) and a history of events.
ALTER TABLE alerts ADD COLUMN priority TEXT NOT NULL DEFAULT 'p3';
ALTER TABLE alerts ADD COLUMN assignee_id BIGINT REFERENCES users (id);
ALTER TABLE alerts ADD COLUMN opened_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN state_changed_at BIGINT;
ALTER TABLE alerts ADD COLUMN ack_from BIGINT;
ALTER TABLE alerts ADD COLUMN ack_due BIGINT;
ALTER TABLE alerts ADD COLUMN decide_from BIGINT;
ALTER TABLE alerts ADD COLUMN decide_due BIGINT;
ALTER TABLE alerts ADD COLUMN respond_from BIGINT;
ALTER TABLE alerts ADD COLUMN respond_due BIGINT;
ALTER TABLE alerts ADD COLUMN merged_into BIGINT REFERENCES alerts (id);
ALTER TABLE alerts ADD COLUMN dismiss_reason TEXT;
ALTER TABLE alerts ADD COLUMN escalated_to TEXT;
ALTER TABLE alerts ADD COLUMN regrown TEXT;

UPDATE alerts SET opened_at = first_seen, state_changed_at = first_seen, ack_from = first_seen,
    priority = CASE WHEN severity = 'critical' THEN 'p1'
                    WHEN severity = 'high' OR kind = 'spike' THEN 'p2' ELSE 'p3' END;

-- One alert per (rule, subject) whatever its state: an incident that grows after it was
-- dismissed or closed comes back instead of starting over. Closed alerts that share a key
-- with a later one keep their history under a key of their own.
UPDATE alerts SET subject = subject || ':' || CAST(id AS TEXT)
    WHERE id NOT IN (SELECT MAX(id) FROM alerts GROUP BY rule_id, subject);
DROP INDEX alerts_open_subject;
CREATE UNIQUE INDEX alerts_subject ON alerts (rule_id, subject);
CREATE INDEX alerts_state ON alerts (state, priority);
CREATE INDEX alerts_assignee ON alerts (assignee_id);

-- The history of every alert: one row per change, never updated or deleted. It is the
-- audit trail of handling and the source of every handling figure.
CREATE TABLE alert_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id   BIGINT NOT NULL REFERENCES alerts (id),
    at         BIGINT NOT NULL,
    user_id    BIGINT REFERENCES users (id),
    action     TEXT    NOT NULL,
    from_state TEXT    NOT NULL,
    to_state   TEXT    NOT NULL,
    note       TEXT,
    data       TEXT
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
CREATE INDEX alert_events_action ON alert_events (action, at);

INSERT INTO alert_events (alert_id, at, user_id, action, from_state, to_state, data)
    SELECT id, first_seen, NULL, 'opened', 'new', 'new', NULL FROM alerts ORDER BY id;

-- The office's official responses to an alert.
CREATE TABLE alert_responses (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id     BIGINT NOT NULL REFERENCES alerts (id),
    event_id     BIGINT NOT NULL REFERENCES alert_events (id),
    user_id      BIGINT REFERENCES users (id),
    channel      TEXT    NOT NULL,
    published_at BIGINT NOT NULL,
    text         TEXT    NOT NULL,
    url          TEXT
);
CREATE INDEX alert_responses_alert ON alert_responses (alert_id);

-- How a rumour or claim hit stands towards its claim (carries, refutes, reports) and the
-- cue spans that decided it, as JSON; NULL for hits of other kinds.
ALTER TABLE rule_hits ADD COLUMN stance TEXT;
ALTER TABLE rule_hits ADD COLUMN stance_cues TEXT;
