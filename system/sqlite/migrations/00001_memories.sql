-- The memories table. seq is an explicit INTEGER PRIMARY KEY so the rowid
-- the full-text index refers to is stable (VACUUM may renumber an implicit
-- rowid). Timestamps are unix microseconds; tags a JSON array; metadata a
-- JSON object; embedding little-endian float32s. The small columns that
-- searches filter on come first and content and embedding last: SQLite
-- reads a row's columns in order, and reaching a column stored after a
-- long text means reading that text's overflow pages.

-- +goose Up
CREATE TABLE memories (
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    namespace        TEXT    NOT NULL,
    superseded_by    TEXT,
    created_at       INTEGER NOT NULL,
    category         TEXT    NOT NULL,
    content_hash     TEXT    NOT NULL,
    importance       REAL    NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_accessed_at INTEGER,
    access_count     INTEGER NOT NULL DEFAULT 0,
    supersedes       TEXT,
    embedding_model  TEXT    NOT NULL DEFAULT '',
    embedding_dim    INTEGER NOT NULL DEFAULT 0,
    tags             TEXT    NOT NULL DEFAULT '[]',
    metadata         TEXT    NOT NULL DEFAULT '{}',
    content          TEXT    NOT NULL,
    embedding        BLOB,
    UNIQUE (namespace, content_hash)
);

CREATE INDEX memories_namespace_id ON memories (namespace, id);
CREATE INDEX memories_namespace_created ON memories (namespace, created_at, id);
CREATE INDEX memories_superseded_by ON memories (superseded_by) WHERE superseded_by IS NOT NULL;

-- +goose Down
DROP TABLE memories;
