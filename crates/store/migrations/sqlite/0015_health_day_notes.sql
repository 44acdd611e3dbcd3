-- What the office plans to say for each health day on the calendar. Every save is a row of
-- its own, never updated, so the history of a plan is kept; the latest row of a day is its
-- current plan. `day_key` names one occurrence: the day's id and its start date
-- (`day.the-gioi-phong-chong-aids@2026-12-01`), so each year plans afresh. `author` is the
-- login name at the time of writing, kept as text so the history survives a renamed user.
CREATE TABLE health_day_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    day_key    TEXT    NOT NULL,
    note       TEXT    NOT NULL,
    author     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX health_day_notes_day ON health_day_notes (day_key, id);
