-- The knowledge graph: entities (nodes) and directed, typed relations
-- between them, per namespace.
--
-- observations is a JSON array of strings, in the order they were added.
-- search is written by the store at every write: the lower-cased name,
-- entity type and observations joined with newlines. SQLite's lower() and
-- LIKE fold ASCII only, so the folding is done in Go (strings.ToLower) and
-- search_nodes matches with instr(search, lowered query), which is exact
-- and the same as in the Postgres store. Timestamps are unix microseconds.
--
-- Text compares byte by byte (BINARY), so names order as Go strings do.
-- The foreign keys (enforced: every connection sets foreign_keys) delete a
-- relation with either of its ends. The primary key of relations serves
-- lookups by from_name; relations_to serves those by to_name, which the
-- cascade from a deleted entity also needs. relations is WITHOUT ROWID: its
-- rows are small and the primary key is the whole row. entities keeps its
-- rowid because its rows may be large.

-- +goose Up
CREATE TABLE entities (
    namespace    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    entity_type  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    observations TEXT    NOT NULL DEFAULT '[]',
    search       TEXT    NOT NULL,
    PRIMARY KEY (namespace, name)
);

CREATE TABLE relations (
    namespace     TEXT NOT NULL,
    from_name     TEXT NOT NULL,
    to_name       TEXT NOT NULL,
    relation_type TEXT NOT NULL,
    PRIMARY KEY (namespace, from_name, to_name, relation_type),
    FOREIGN KEY (namespace, from_name) REFERENCES entities (namespace, name) ON DELETE CASCADE,
    FOREIGN KEY (namespace, to_name) REFERENCES entities (namespace, name) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX relations_to ON relations (namespace, to_name);

-- +goose Down
DROP TABLE relations;
DROP TABLE entities;
