package sqlite

import (
	"context"

	"mimo/system"
	"mimo/system/internal/memorykit"
)

// PendingEmbeddings returns up to q.Limit memories, of every namespace, in
// ID order after q.After, whose embedding is not a vector of q.Model with
// q.Dim values, without their vectors. With q.MissingOnly, only those
// stored without one (an empty model), found from the index of models alone.
func (s *Store) PendingEmbeddings(ctx context.Context, q mimo.EmbeddingQuery) ([]*mimo.Memory, error) {
	q, err := memorykit.EmbeddingQuery(q)
	if err != nil {
		return nil, err
	}
	where := `(m.embedding IS NULL OR m.embedding_model <> ? OR m.embedding_dim <> ?)`
	args := []any{q.Model, q.Dim}
	if q.MissingOnly {
		where, args = `m.embedding_model = '' AND m.embedding_dim = 0`, nil
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+listCols+` FROM memories m
		WHERE m.id > ? AND `+where+` ORDER BY m.id LIMIT ?`, append(append([]any{q.After}, args...), q.Limit)...)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: pending embeddings")
	}
	ms, err := scanMemories(rows)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: pending embeddings")
	}
	return ms, nil
}

// SetEmbeddings sets each memory's embedding when its content is still the
// one the vector was made from, and logs an upsert for each one set.
func (s *Store) SetEmbeddings(ctx context.Context, us []mimo.EmbeddingUpdate) (int, error) {
	us, err := memorykit.EmbeddingUpdates(us)
	if err != nil || len(us) == 0 {
		return 0, err
	}
	set := 0
	err = s.write(ctx, "sqlite: set embeddings", func(w *wtx) error {
		set = 0
		for _, u := range us {
			res, err := w.exec(`UPDATE memories SET embedding = ?, embedding_model = ?, embedding_dim = ?
				WHERE namespace = ? AND id = ? AND content_hash = ?`,
				vectorBlob(u.Embedding), u.Embedding.Model, u.Embedding.Dim, u.Namespace, u.ID, u.ContentHash)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue
			}
			set++
			if err := logChange(w, mimo.OpUpsert, u.ID, u.Namespace); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return set, nil
}

// embeddingModels counts the memories whose vector is not of model ?1 and
// dimension ?2 from the index of those columns. The four ranges around
// (?1, ?2) are four queries: as one WHERE of ORs, SQLite's planner prefers
// the GROUP BY's order and scans the whole index, the given model's
// entries included (TestEmbeddingModelsSearchesTheIndexByRanges).
const embeddingModels = `SELECT embedding_model, embedding_dim, count(*) FROM (
		SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model < ?1
		UNION ALL SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model > ?1
		UNION ALL SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model = ?1 AND embedding_dim < ?2
		UNION ALL SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model = ?1 AND embedding_dim > ?2)
	GROUP BY embedding_model, embedding_dim ORDER BY 3 DESC, 1, 2`

// EmbeddingModels counts the memories whose vector is not of model and
// dimension dim, by model and dimension, most first, reading only their
// entries of the index of those columns.
func (s *Store) EmbeddingModels(ctx context.Context, model string, dim int) ([]mimo.EmbeddingCount, error) {
	rows, err := s.reader.QueryContext(ctx, embeddingModels, model, dim)
	if err != nil {
		return nil, dbErr(ctx, err, "sqlite: embedding models")
	}
	defer rows.Close()
	out := []mimo.EmbeddingCount{}
	for rows.Next() {
		var c mimo.EmbeddingCount
		if err := rows.Scan(&c.Model, &c.Dim, &c.Memories); err != nil {
			return nil, dbErr(ctx, err, "sqlite: embedding models")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(ctx, err, "sqlite: embedding models")
	}
	return out, nil
}
