-- Full-text index over memories.content, external content keyed by seq and
-- kept in step by triggers. porter stems English words; unicode61 folds case
-- and diacritics for every script.

-- +goose Up
CREATE VIRTUAL TABLE memories_fts USING fts5(
    content,
    content = 'memories',
    content_rowid = 'seq',
    tokenize = 'porter unicode61'
);

-- +goose StatementBegin
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, content) VALUES (new.seq, new.content);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.seq, old.content);
    INSERT INTO memories_fts (rowid, content) VALUES (new.seq, new.content);
END;
-- +goose StatementEnd

-- Index what is already there (after a down and up again).
INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');

-- +goose Down
DROP TRIGGER memories_fts_update;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_insert;
DROP TABLE memories_fts;
