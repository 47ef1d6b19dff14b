-- Each memory's access accounting, in a narrow table of its own. Every
-- search records the accesses of the memories it returned; in the wide
-- memories row each touch made a new version of the row (content, tsvector,
-- embedding) and, as it could not be HOT once the page was full, new
-- entries in every index, the GIN ones included: 175-340 ms per thousand.
--
-- A memory has a row only once it has been accessed (or was created with
-- an access count or time, as imports are): no row reads as access_count
-- 0 and last_accessed_at NULL, what a new memory had before. No index
-- covers the two values, and fillfactor leaves half of each page free, so
-- an update is a heap-only tuple on the same page: no index entry is
-- written. The foreign key deletes the row with its memory.
--
-- Down puts the values back into memories' columns and drops the table.

-- +goose Up
CREATE TABLE memory_access (
    memory_id        text PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
    access_count     bigint NOT NULL,
    last_accessed_at timestamptz
) WITH (fillfactor = 50);

INSERT INTO memory_access (memory_id, access_count, last_accessed_at)
SELECT id, access_count, last_accessed_at FROM memories
WHERE access_count <> 0 OR last_accessed_at IS NOT NULL;

ALTER TABLE memories DROP COLUMN last_accessed_at, DROP COLUMN access_count;

-- +goose Down
ALTER TABLE memories ADD COLUMN last_accessed_at timestamptz,
    ADD COLUMN access_count bigint NOT NULL DEFAULT 0;

UPDATE memories m SET last_accessed_at = a.last_accessed_at, access_count = a.access_count
FROM memory_access a WHERE a.memory_id = m.id;

DROP TABLE memory_access;
