-- The memories table: one row per memory, with its embedding and a
-- generated full-text vector of its content.

-- +goose Up
CREATE TABLE memories (
    id               text PRIMARY KEY,
    namespace        text NOT NULL,
    content          text NOT NULL,
    content_hash     text NOT NULL,
    category         text NOT NULL,
    importance       double precision NOT NULL,
    tags             text[] NOT NULL DEFAULT '{}',
    metadata         jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_accessed_at timestamptz,
    access_count     bigint NOT NULL DEFAULT 0,
    supersedes       text,
    superseded_by    text,
    embedding        bytea,
    embedding_model  text NOT NULL DEFAULT '',
    embedding_dim    integer NOT NULL DEFAULT 0,
    tsv              tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    CONSTRAINT memories_namespace_content_hash UNIQUE (namespace, content_hash)
);

CREATE INDEX memories_namespace_id ON memories (namespace, id);
-- Lists page by (created_at, id) within a namespace.
CREATE INDEX memories_namespace_created_at ON memories (namespace, created_at, id);
-- Deleting a memory makes the one it superseded current again.
CREATE INDEX memories_superseded_by ON memories (namespace, superseded_by)
    WHERE superseded_by IS NOT NULL;
CREATE INDEX memories_tags ON memories USING gin (tags) WITH (fastupdate = off);
CREATE INDEX memories_tsv ON memories USING gin (tsv) WITH (fastupdate = off);

-- +goose Down
DROP TABLE memories;
