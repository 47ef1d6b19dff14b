-- The knowledge graph: entities (nodes) and directed, typed relations
-- between them, per namespace.
--
-- observations is text[]: an ordered list of strings is exactly what an
-- array holds, pgx maps it to []string both ways, and nothing queries
-- inside it (search uses the search column), so jsonb would only add
-- encoding. search is written by the store at every write: the lower-cased
-- (Go strings.ToLower) name, entity type and observations joined with
-- newlines; search_nodes matches it with strpos, exactly as the SQLite
-- store does with instr, so both stores fold case the same way.
--
-- Names and types compare with the "C" collation (byte order), whatever
-- the database's default: entities are ordered and paged by name, and the
-- order must be the same as Go's and SQLite's. The foreign keys delete a
-- relation with either of its ends; relations_to serves lookups by
-- to_name, which that cascade also needs.

-- +goose Up
CREATE TABLE entities (
    namespace    text COLLATE "C" NOT NULL,
    name         text COLLATE "C" NOT NULL,
    entity_type  text NOT NULL,
    observations text[] NOT NULL DEFAULT '{}',
    search       text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (namespace, name)
);

CREATE TABLE relations (
    namespace     text COLLATE "C" NOT NULL,
    from_name     text COLLATE "C" NOT NULL,
    to_name       text COLLATE "C" NOT NULL,
    relation_type text COLLATE "C" NOT NULL,
    PRIMARY KEY (namespace, from_name, to_name, relation_type),
    FOREIGN KEY (namespace, from_name) REFERENCES entities (namespace, name) ON DELETE CASCADE,
    FOREIGN KEY (namespace, to_name) REFERENCES entities (namespace, name) ON DELETE CASCADE
);

CREATE INDEX relations_to ON relations (namespace, to_name);

-- +goose Down
DROP TABLE relations;
DROP TABLE entities;
