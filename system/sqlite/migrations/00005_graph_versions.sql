-- The version of each namespace's entities, changed (to a fresh random
-- number) in the same transaction as every write that changes an entity.
-- A process that caches a namespace's search text reads the version in
-- the transaction it searches in and uses its cache only at the version it
-- was read at, so it never misses a write by itself or another process.
-- Random rather than counted, so that a restored backup cannot bring back
-- a version number a process has cached different entities under.

-- +goose Up
CREATE TABLE graph_versions (
    namespace TEXT    NOT NULL PRIMARY KEY,
    version   INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE graph_versions;
