-- The change log other processes follow to keep their vector index in
-- step. AUTOINCREMENT so a Seq is never reused, even after the newest
-- entries are gone.

-- +goose Up
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    op        TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    memory_id TEXT NOT NULL,
    namespace TEXT NOT NULL
);

-- +goose Down
DROP TABLE changes;
