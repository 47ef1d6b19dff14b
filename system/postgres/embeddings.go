package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	mimo "mimo/system"
	"mimo/system/internal/memorykit"
)

// PendingEmbeddings returns up to q.Limit memories, of every namespace, in
// ID order after q.After, whose embedding is not a vector of q.Model with
// q.Dim values, without their vectors. With q.MissingOnly, only those
// stored without one (an empty model), found from the index of models.
func (s *Store) PendingEmbeddings(ctx context.Context, q mimo.EmbeddingQuery) ([]*mimo.Memory, error) {
	q, err := memorykit.EmbeddingQuery(q)
	if err != nil {
		return nil, err
	}
	where, args := `m.embedding_model = '' AND m.embedding_dim = 0`, []any{q.After, q.Limit}
	if !q.MissingOnly {
		where = `(m.embedding IS NULL OR m.embedding_model <> $3 OR m.embedding_dim <> $4)`
		args = append(args, q.Model, q.Dim)
	}
	var out []*mimo.Memory
	err = s.read(ctx, "pending embeddings", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT `+memoryColumnsNoVector+` FROM memories m
			WHERE m.id > $1 AND `+where+` ORDER BY m.id LIMIT $2`, args...)
		if err != nil {
			return err
		}
		out, err = collectMemories(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetEmbeddings sets each memory's embedding when its content is still the
// one the vector was made from, and logs an upsert for each one set.
func (s *Store) SetEmbeddings(ctx context.Context, us []mimo.EmbeddingUpdate) (int, error) {
	us, err := memorykit.EmbeddingUpdates(us)
	if err != nil || len(us) == 0 {
		return 0, err
	}
	var (
		ns, ids, hashes, models []string
		vectors                 [][]byte
		dims                    []int32
	)
	for _, u := range us {
		ns, ids, hashes = append(ns, u.Namespace), append(ids, u.ID), append(hashes, u.ContentHash)
		vectors, models, dims = append(vectors, vectorBytes(u.Embedding)), append(models, u.Embedding.Model), append(dims, int32(u.Embedding.Dim))
	}
	set := 0
	err = s.inTx(ctx, "set embeddings", func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE memories AS m SET embedding = u.embedding, embedding_model = u.model, embedding_dim = u.dim
			FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::int[]) AS u(ns, id, hash, embedding, model, dim)
			WHERE m.namespace = u.ns AND m.id = u.id AND m.content_hash = u.hash
			RETURNING m.namespace, m.id`, ns, ids, hashes, vectors, models, dims)
		if err != nil {
			return err
		}
		var log changeLog
		set = 0
		for rows.Next() {
			var n, id string
			if err := rows.Scan(&n, &id); err != nil {
				rows.Close()
				return err
			}
			log.upsert(n, id)
			set++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return log.write(ctx, tx)
	})
	if err != nil {
		return 0, err
	}
	return set, nil
}

// embeddingModels counts the memories whose vector is not of model $1 and
// dimension $2 from the index of those columns: the four ranges around
// ($1, $2) as four index-only scans, so the given model's entries, at
// every start-up nearly all of them, are not read.
const embeddingModels = `SELECT embedding_model, embedding_dim, count(*) FROM (
		SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model < $1
		UNION ALL SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model > $1
		UNION ALL SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model = $1 AND embedding_dim < $2
		UNION ALL SELECT embedding_model, embedding_dim FROM memories WHERE embedding_model = $1 AND embedding_dim > $2) o
	GROUP BY embedding_model, embedding_dim ORDER BY 3 DESC, 1, 2`

// EmbeddingModels counts the memories whose vector is not of model and
// dimension dim, by model and dimension, most first, reading only their
// entries of the index of those columns.
func (s *Store) EmbeddingModels(ctx context.Context, model string, dim int) ([]mimo.EmbeddingCount, error) {
	out := []mimo.EmbeddingCount{}
	err := s.read(ctx, "embedding models", func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, embeddingModels, model, int32(dim))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (mimo.EmbeddingCount, error) {
			var c mimo.EmbeddingCount
			var dim int32
			err := row.Scan(&c.Model, &dim, &c.Memories)
			c.Dim = int(dim)
			return c, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
