-- Each memory's access accounting, in a narrow table of its own. Every
-- search records the accesses of the memories it returned; in the wide
-- memories row that rewrote the whole row, its embedding included, for an
-- eight-byte count. Here a touch rewrites a few bytes.
--
-- A memory has a row only once it has been accessed (or was created with
-- an access count or time, as imports are): no row reads as access_count
-- 0 and last_accessed_at NULL, what a new memory had before. seq, the
-- memories table's stable rowid, is the key: an integer primary key is
-- the rowid itself, so the table is one small B-tree. The foreign key
-- (enforced: every connection sets foreign_keys) deletes the row with its
-- memory.
--
-- Down puts the values back into memories' columns, added at the end of
-- the row (after the embedding), and drops the table.

-- +goose Up
CREATE TABLE memory_access (
    seq              INTEGER PRIMARY KEY REFERENCES memories (seq) ON DELETE CASCADE,
    access_count     INTEGER NOT NULL,
    last_accessed_at INTEGER
);

INSERT INTO memory_access (seq, access_count, last_accessed_at)
SELECT seq, access_count, last_accessed_at FROM memories
WHERE access_count <> 0 OR last_accessed_at IS NOT NULL;

ALTER TABLE memories DROP COLUMN last_accessed_at;
ALTER TABLE memories DROP COLUMN access_count;

-- +goose Down
ALTER TABLE memories ADD COLUMN last_accessed_at INTEGER;
ALTER TABLE memories ADD COLUMN access_count INTEGER NOT NULL DEFAULT 0;

UPDATE memories SET last_accessed_at = a.last_accessed_at, access_count = a.access_count
FROM memory_access a WHERE a.seq = memories.seq;

DROP TABLE memory_access;
