-- The change log other processes follow (seq > last seen) to keep their
-- in-process indexes in step. Rows commit in seq order: writers hold an
-- advisory lock from the insert to the commit (see changes.go).

-- +goose Up
CREATE TABLE changes (
    seq        bigserial PRIMARY KEY,
    op         text NOT NULL CHECK (op IN ('upsert', 'delete')),
    memory_id  text NOT NULL,
    namespace  text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE changes;
