-- Delivery: job leases, job cursors, the outbox of outgoing messages and users'
-- subscriptions to notifications.

-- Which process runs each periodic job: a lease held until `until` (UTC milliseconds),
-- renewed by its holder, free for another process once it has run out.
CREATE TABLE job_leases (
    name   TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  BIGINT  NOT NULL
);

-- How far a job has read a log (the notification fan-out: the last alert event it
-- handled), advanced in the same transaction as what it wrote.
CREATE TABLE job_cursors (
    name    TEXT    PRIMARY KEY,
    last_id BIGINT  NOT NULL
);
-- Events written before notifications existed are history, not news.
INSERT INTO job_cursors (name, last_id)
    SELECT 'notifications', COALESCE(MAX(id), 0) FROM alert_events;

-- Every outgoing message, written in the same transaction as its cause and delivered
-- afterwards; the dedupe key makes writing it twice a no-op.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            BYTEA   NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);

-- What each user wants to be told, on which channel. Lists are JSON arrays; an empty one
-- means every value. Quiet hours are HH:MM in Vietnam time.
CREATE TABLE subscriptions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id),
    channel      TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    kinds        TEXT    NOT NULL DEFAULT '[]',
    min_priority TEXT    NOT NULL DEFAULT 'p3',
    topics       TEXT    NOT NULL DEFAULT '[]',
    provinces    TEXT    NOT NULL DEFAULT '[]',
    quiet_start  TEXT,
    quiet_end    TEXT,
    alerts       BIGINT  NOT NULL DEFAULT 1,
    digest       BIGINT  NOT NULL DEFAULT 0,
    enabled      BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions (user_id);

-- Credentials a channel renews by itself and must not lose: the Zalo OA's token pair (its
-- refresh token works once), as JSON, replaced in one statement.
CREATE TABLE delivery_tokens (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
