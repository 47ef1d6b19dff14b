-- An index of each memory's embedding model and dimension, so that the
-- models a store holds are counted from the index alone (start-up checks
-- them against the configured embedder) and the memories stored without a
-- vector (model '') are found in ID order without reading the table.

-- +goose Up
CREATE INDEX memories_embedding_model ON memories (embedding_model, embedding_dim, id);

-- +goose Down
DROP INDEX memories_embedding_model;
